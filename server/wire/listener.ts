/**
 * The Unix socket Kong connects to.
 *
 * Kong starts a new plugin server before it stops the old one (worker
 * restart, `kong reload`), so the new server replaces a stale socket file and
 * the old one must never remove the path when it exits. Closing a Node
 * `net.Server` on a Unix socket unlinks its path, so the listener is never
 * closed: the process just exits.
 *
 * @module
 */
import { lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';

/** Options of {@link listenUnix}. */
export interface UnixListenOptions {
  /**
   * Permission bits of the socket file (the server setting `socketMode`).
   * Defaults to `0o660` (owner and group), set through the umask so the
   * socket is never more open, even for an instant.
   */
  readonly socketMode?: number;
  /**
   * Allow a socket in a directory anyone can write to without the sticky
   * bit, where another user could replace it (the server setting
   * `allowInsecureSocketDir`). Defaults to `false`.
   */
  readonly allowInsecureSocketDir?: boolean;
  /** Create the socket's directory when missing. Defaults to `false`. */
  readonly createDirectory?: boolean;
  /**
   * Connections the kernel queues before the server accepts them (capped by
   * `net.core.somaxconn`). Kong's workers open pooled connections in bursts;
   * a full queue makes their connect fail with EAGAIN. Defaults to 4,096.
   */
  readonly backlog?: number;
  /** Accept connections without reading from them (a primary hands them to workers). Defaults to `false`. */
  readonly pauseOnConnect?: boolean;
  /**
   * Called when `socketMode` opens the socket to a class of users (its
   * group, or others) that the process's umask closes files to entirely, so
   * that the server can say so (the mode is applied as asked).
   */
  readonly onModeOpensUmask?: (mode: number, umask: number) => void;
}

/** Whether `mode` grants the group, or others, some access that `umask` withholds from them entirely. */
export function opensUmask(mode: number, umask: number): boolean {
  return [0o070, 0o007].some((users) => (umask & users) === users && (mode & users) !== 0);
}

/** The longest socket path the kernel takes (`sun_path` less its NUL): 107 on Linux, 103 on BSDs and macOS. */
export const MAX_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** The socket path cannot be used. */
export class SocketPathError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'SocketPathError', enumerable: false, configurable: true });
  }
}

/**
 * Checks the socket's directory and removes a stale socket file at `path`.
 * @throws {@link SocketPathError} when the path exists and is not a socket,
 *   is too long for a Unix socket, or the directory is missing or unsafe.
 */
export function prepareSocketPath(path: string, options: UnixListenOptions = {}): void {
  const length = Buffer.byteLength(path);
  if (length > MAX_PATH_BYTES) {
    // libuv would silently bind a truncated path, where Kong never looks.
    throw new SocketPathError(`the socket path ${path} is ${length} bytes long; Unix sockets allow ${MAX_PATH_BYTES}`);
  }
  const directory = dirname(path);
  let stats;
  try {
    stats = statSync(directory);
  } catch {
    if (options.createDirectory !== true) {
      throw new SocketPathError(
        `the socket directory ${directory} does not exist. Kong creates its prefix before it starts plugin servers; ` +
          'elsewhere, pass -kong-prefix <dir> (the socket is <dir>/<plugin name>.socket) or --socket <path> in a directory that exists',
      );
    }
    mkdirSync(directory, { recursive: true, mode: 0o750 });
    stats = statSync(directory);
  }
  if (!stats.isDirectory()) throw new SocketPathError(`${directory} is not a directory`);
  const worldWritable = (stats.mode & 0o002) !== 0;
  const sticky = (stats.mode & 0o1000) !== 0;
  if (worldWritable && !sticky && options.allowInsecureSocketDir !== true) {
    throw new SocketPathError(
      `refusing to listen in ${directory}: anyone can write to it and it has no sticky bit, so another user could replace the socket`,
    );
  }
  let existing;
  try {
    existing = lstatSync(path);
  } catch {
    return;
  }
  if (!existing.isSocket()) throw new SocketPathError(`refusing to replace ${path}: it exists and is not a socket`);
  unlinkSync(path);
}

/**
 * Listens on the Unix socket `path`, replacing a stale socket file.
 * Resolves once the socket accepts connections.
 * @throws {@link SocketPathError} (as a rejection), or the listen error.
 */
export async function listenUnix(path: string, onConnection: (socket: Socket) => void, options: UnixListenOptions = {}): Promise<Server> {
  prepareSocketPath(path, options);
  const server = createServer({ pauseOnConnect: options.pauseOnConnect === true }, onConnection);
  const mode = options.socketMode ?? 0o660;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // The socket file is created by bind(), synchronously inside listen().
    const previous = process.umask(0o777 & ~mode);
    if (opensUmask(mode, previous)) options.onModeOpensUmask?.(mode, previous);
    try {
      server.listen({ path, backlog: options.backlog ?? 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
  server.on('error', () => undefined);
  return server;
}
