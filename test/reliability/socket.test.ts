/**
 * Reliability: the socket path (issue 7, docs/protocol.md §2.3). The socket
 * is created owner-and-group only unless told otherwise; anything at the path
 * that is not a socket (a file, a directory, a symlink, a FIFO) is refused
 * and left alone; unsafe or missing directories are refused; the umask is
 * restored whatever happens.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../server/process/logger.ts';
import { listenUnix, MAX_PATH_BYTES, prepareSocketPath, SocketPathError } from '../../server/wire/listener.ts';
import { startServer } from '../../server/start.ts';
import { tempDirectory } from '../support/server.ts';
import rely from './fixtures/rely.ts';
import { RELY, spawnRely } from './spawn.ts';

describe('socket path safety', () => {
  const directories: string[] = [];
  const dir = () => {
    const d = tempDirectory();
    directories.push(d);
    return d;
  };
  after(() => {
    for (const d of directories) rmSync(d, { recursive: true, force: true });
  });

  const start = (socket: string, options: Record<string, unknown> = {}) =>
    startServer({ logger: silentLogger(), plugins: [rely], sockets: [socket], ...options });

  it('creates the socket 0660 by default and with the mode asked for, restoring the umask', async () => {
    const umask = process.umask();
    for (const [mode, expected] of [[undefined, 0o660], [0o600, 0o600], [0o666, 0o666]] as const) {
      const socket = join(dir(), 'p.socket');
      const running = await start(socket, mode === undefined ? {} : { mode });
      assert.equal(lstatSync(socket).mode & 0o777, expected);
      assert.equal(process.umask(), umask);
      await running.stop();
    }
  });

  it('honours --socket-mode in the plugin process', { timeout: 30_000 }, async () => {
    const socket = join(dir(), 'p.socket');
    const server = await spawnRely(socket, ['--socket-mode', '600']);
    assert.equal(lstatSync(socket).mode & 0o777, 0o600);
    server.child.kill('SIGKILL');
    await server.exited;
    const bad = spawnSync(process.execPath, [RELY, '--socket', socket, '--socket-mode', 'rw'], {
      env: {},
      encoding: 'utf8',
    });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /octal mode/);
  });

  it('refuses a path that is a file, a directory, a FIFO or a symlink, and leaves it alone', async () => {
    const d = dir();
    const file = join(d, 'file');
    writeFileSync(file, 'precious');
    const directory = join(d, 'directory');
    mkdirSync(directory);
    writeFileSync(join(directory, 'inside'), 'kept');
    const fifo = join(d, 'fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const toFile = join(d, 'link-to-file');
    symlinkSync(file, toFile);
    const stale = join(d, 'stale.socket');
    const staleServer = createServer().listen(stale);
    await new Promise((resolve) => staleServer.once('listening', resolve));
    staleServer.unref();
    const toSocket = join(d, 'link-to-socket');
    symlinkSync(stale, toSocket);
    const dangling = join(d, 'dangling');
    symlinkSync(join(d, 'nowhere'), dangling);
    for (const path of [file, directory, fifo, toFile, toSocket, dangling]) {
      const before = lstatSync(path);
      await assert.rejects(start(path), (error: unknown) => error instanceof SocketPathError && /is not a socket/.test(error.message), path);
      const after = lstatSync(path);
      assert.equal(after.ino, before.ino, `${path} untouched`);
      assert.equal(after.mode, before.mode);
    }
    assert.equal(readFileSync(file, 'utf8'), 'precious');
    assert.equal(readFileSync(join(directory, 'inside'), 'utf8'), 'kept');
    assert.ok(lstatSync(stale).isSocket());
  });

  it('refuses a directory anyone can write to without the sticky bit, also behind a symlink, unless allowed', async () => {
    const d = dir();
    const open = join(d, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const link = join(d, 'link');
    symlinkSync(open, link);
    for (const path of [join(open, 'p.socket'), join(link, 'p.socket')]) {
      assert.throws(() => prepareSocketPath(path), /sticky bit/);
      await assert.rejects(start(path), /sticky bit/);
    }
    const running = await start(join(open, 'p.socket'), { allowInsecureDirectory: true });
    assert.ok(lstatSync(join(open, 'p.socket')).isSocket());
    await running.stop();
    const sticky = join(d, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const ok = await start(join(sticky, 'p.socket'));
    await ok.stop();
  });

  it('refuses a missing directory unless asked to create it (owner and group only)', async () => {
    const missing = join(dir(), 'a', 'b');
    await assert.rejects(start(join(missing, 'p.socket')), /does not exist/);
    const running = await start(join(missing, 'p.socket'), { createDirectory: true });
    assert.equal(lstatSync(missing).mode & 0o777, 0o750);
    await running.stop();
  });

  it('fails cleanly, umask restored, for a path too long for a Unix socket', async () => {
    const umask = process.umask();
    const d = dir();
    const long = join(d, `${'x'.repeat(120)}.socket`);
    await assert.rejects(listenUnix(long, () => undefined), /bytes long; Unix sockets allow 107/);
    assert.equal(process.umask(), umask);
    assert.deepEqual(readdirSync(d), [], 'no truncated socket file was created');
    const fits = join(d, 'x'.repeat(MAX_PATH_BYTES - d.length - 1));
    const running = await start(fits);
    assert.ok(lstatSync(fits).isSocket());
    await running.stop();
  });
});
