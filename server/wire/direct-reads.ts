/**
 * Reading a connection straight into the framer's buffers.
 *
 * With `'data'` events Node allocates a fresh buffer for every read and
 * frees it only when the garbage collector runs, so a 32 MB body costs its
 * own buffer plus up to another 32 MB of spent read buffers, and every small
 * message costs a read buffer of its own (bench/read-loop.ts measures both).
 * Node's `onread` option makes the kernel write into buffers the program
 * chooses, but Node offers it only when it constructs the `net.Socket`; an
 * accepted connection (from a `net.Server`, or passed by the primary of a
 * multi-process server) already has one. So the connection's handle is moved
 * to a new `net.Socket` built with `onread`: this relies on the socket's
 * `_handle`, which Node does not document. Everything is checked first, and
 * any socket that does not look exactly as expected is left as it is, to be
 * read through `'data'` events as before.
 *
 * @module
 */
import { Socket } from 'node:net';

/** Where reads go, and what takes them. */
export interface InPlaceReader {
  /** The buffer the next read writes to. Never empty. */
  target(): Uint8Array;
  /** `count` bytes were written to the start of the last target. `false` stops reading. */
  filled(count: number): boolean;
}

/** The parts of Node's stream handle (libuv wrap) this module uses. */
interface StreamHandle {
  reading?: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

function isStreamHandle(value: unknown): value is StreamHandle {
  if (value === null || typeof value !== 'object') return false;
  const handle = value as Partial<Record<keyof StreamHandle, unknown>>;
  return typeof handle.useUserBuffer === 'function' && typeof handle.readStop === 'function' && typeof handle.readStart === 'function';
}

/**
 * Moves the connection of `socket` to a new socket whose reads go to
 * `reader`, and returns that socket; `socket` is closed without closing the
 * connection. Returns `undefined` and leaves `socket` untouched when that
 * cannot be done safely: Node's internals differ from what is expected, or
 * the socket has already delivered or buffered data.
 *
 * Call it before anything listens to `socket`: its `'close'` follows at once.
 */
export function readInPlace(socket: Socket, reader: InPlaceReader): Socket | undefined {
  const holder = socket as unknown as { _handle?: unknown };
  const handle = holder._handle;
  if (!isStreamHandle(handle)) return undefined;
  if (socket.destroyed || socket.connecting || socket.readableLength > 0 || socket.listenerCount('data') > 0 || socket.listenerCount('readable') > 0) return undefined;
  const wasReading = handle.reading === true;
  // Nothing reaches JavaScript before the event loop turns, so no byte can
  // be lost between stopping here and the new socket starting to read.
  if (wasReading) {
    handle.readStop();
    handle.reading = false;
  }
  let moved: Socket;
  try {
    holder._handle = null;
    moved = new Socket({
      handle,
      allowHalfOpen: socket.allowHalfOpen,
      onread: { buffer: () => reader.target(), callback: (count: number) => reader.filled(count) },
    } as ConstructorParameters<typeof Socket>[0]);
  } catch {
    holder._handle = handle;
    if (wasReading) {
      handle.reading = true;
      handle.readStart();
    }
    return undefined;
  }
  // Without its handle, destroying the old socket only releases it (and a
  // net.Server's count of it); the file descriptor stays with `moved`.
  socket.destroy();
  return moved;
}
