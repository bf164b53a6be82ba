/**
 * The least memory Node needs to receive one large message on a server-side
 * Unix socket (issue 8, the 32 MB body target): a child process accepts one
 * connection, reads `--mb` MB (32) sent in one write by this process, and
 * reports its idle RSS and its peak (VmHWM). Three ways to read:
 *
 * - `discard`: `'data'` chunks, dropped (Node's own garbage only);
 * - `copy`: `'data'` chunks copied into one buffer of the exact size, which is
 *   the least any framer can do with `'data'` events;
 * - `onread`: reads straight into that buffer: the accepted handle re-wrapped
 *   in a `net.Socket` with `onread` (a user buffer; Node offers the option
 *   only when it constructs the socket). The server does the same, with its
 *   checks and fallback, in server/wire/direct-reads.ts.
 *
 *   node dist/bench/read-loop.js [--mb 32] [--runs 2]
 *
 * @module
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { connect, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

type Mode = 'discard' | 'copy' | 'onread';
const MODES: readonly Mode[] = ['discard', 'copy', 'onread'];

interface Report {
  readonly idleMB: number;
  readonly peakMB: number;
  readonly received: number;
}

function statusMB(key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? Number.NaN) / 1024;
}

/** The child: accept one connection, read `size` bytes, report. */
function serve(mode: Mode, path: string, size: number): void {
  let received = 0;
  let idleMB = 0;
  const report = (): void => {
    const out: Report = { idleMB, peakMB: statusMB('VmHWM'), received };
    process.send?.(out);
  };
  const server = createServer({ pauseOnConnect: mode === 'onread' }, (socket) => {
    const target = mode === 'discard' ? undefined : new Uint8Array(size);
    if (mode === 'onread' && target !== undefined) {
      const accepted = socket as unknown as { _handle: unknown };
      const handle = accepted._handle;
      accepted._handle = null;
      const wrapped = new Socket({
        handle,
        onread: {
          buffer: () => target.subarray(received, Math.min(size, received + 65536)),
          callback: (bytes: number) => {
            received += bytes;
            if (received >= size) report();
            return true;
          },
        },
      } as unknown as ConstructorParameters<typeof Socket>[0]);
      wrapped.resume();
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      target?.set(chunk, received);
      received += chunk.length;
      if (received >= size) report();
    });
  });
  server.listen(path, () => {
    idleMB = statusMB('VmRSS');
    process.send?.({ ready: true });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { mb: { type: 'string', default: '32' }, runs: { type: 'string', default: '2' } } });
  const size = Number(values.mb) * 1024 * 1024;
  const dir = mkdtempSync(join(tmpdir(), 'bench-read-loop-'));
  const body = Buffer.alloc(size, 7);
  process.stdout.write(`One ${values.mb} MB write to a server-side Unix socket in a fresh Node ${process.version} process: RSS idle → peak\n`);
  for (const mode of MODES) {
    for (let run = 0; run < Number(values.runs); run++) {
      const path = join(dir, `${mode}.sock`);
      const child = fork(fileURLToPath(import.meta.url), ['--child', mode, path, String(size)]);
      await new Promise((resolve) => child.once('message', resolve));
      const client = connect(path);
      const report = await new Promise<Report>((resolve) => {
        child.once('message', (message) => resolve(message as Report));
        client.write(body);
      });
      client.destroy();
      child.kill();
      try {
        unlinkSync(path);
      } catch {
        // the child removed it
      }
      const growth = (report.peakMB - report.idleMB) / (size / 2 ** 20);
      process.stdout.write(
        `  ${mode.padEnd(8)} idle ${report.idleMB.toFixed(0)} MB, peak ${report.peakMB.toFixed(0)} MB, growth ${growth.toFixed(2)}× body` +
          `${report.received === size ? '' : ` (received ${report.received} of ${size})`}\n`,
      );
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--child') serve(process.argv[3] as Mode, process.argv[4] as string, Number(process.argv[5]));
else await main();
