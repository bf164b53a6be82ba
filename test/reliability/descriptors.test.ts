/**
 * Connections dropped for lack of file descriptors are logged (issue 16,
 * item 8): libuv closes them without telling Node, so the server watches
 * for the condition itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDirectory, waitFor } from '../support/server.ts';
import { RELY } from './spawn.ts';

describe('running out of file descriptors', () => {
  it('says so in the log while new connections are dropped, and again when it ends', { timeout: 60_000 }, async () => {
    const directory = tempDirectory();
    const socket = join(directory, 'rely.socket');
    const child = spawn('/bin/sh', ['-c', 'ulimit -n 64 && exec "$0" "$@"', process.execPath, RELY, '--socket', socket], { env: {}, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const clients: Socket[] = [];
    try {
      await waitFor(() => stderr.includes('"msg":"listening"'), 20_000, 'the server to listen');
      for (let i = 0; i < 100; i++) {
        const client = connect(socket);
        client.on('error', () => undefined);
        clients.push(client);
      }
      await waitFor(() => stderr.includes('out of file descriptors'), 10_000, 'the log line');
      assert.match(stderr, /"code":"EMFILE"/);
      for (const client of clients) client.destroy();
      await waitFor(() => stderr.includes('file descriptors available again'), 10_000, 'the all-clear');
      assert.equal(child.exitCode, null, 'the server is still running');
    } finally {
      for (const client of clients) client.destroy();
      child.kill('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
