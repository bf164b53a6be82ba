/**
 * Reliability: hostile wire input over live sockets (issue 7). More than
 * 100,000 random and mutated MessagePack frames, from a seeded PRNG, over
 * thousands of connections, while a Kong host stand-in keeps serving
 * requests on its own connections. The server must never crash, must answer
 * every well-framed request whose msgid it can read with a string error or a
 * result, must close only the connection that sent what it cannot answer,
 * and must hold no event state at the end.
 *
 * fuzz.slow.test.ts runs it in full (`npm run test:full`); fuzz.test.ts runs
 * about 6,000 frames in `npm test`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, sleep, waitFor, type TestServer } from '../support/server.ts';
import { probe } from '../fixtures/probe.ts';
import rely from './fixtures/rely.ts';
import { FuzzClient } from './fuzz-client.ts';
import { FrameGenerator, type Frame } from './fuzz-frames.ts';

const SEED = Number(process.env['TSPDK_FUZZ_SEED'] ?? 0x7e57f00d);
const BATCH = 100;
const WORKERS = 6;
const DIRTY_AT_ONCE = 60;

/** How much the suite sends. */
export interface FuzzSize {
  /** Connections that send only frames with a known outcome, per worker (of 6); every fourth ends with a frame that closes it. */
  readonly cleanConnections: number;
  /** Frames on each of those, a multiple of 100. */
  readonly cleanFrames: number;
  /** Connections that send mutated, truncated or random bytes, 60 at a time. */
  readonly dirtyConnections: number;
  /** Frames that must have been sent. */
  readonly minFrames: number;
  /** Control requests that must have succeeded while the fuzz ran (each waits behind the fuzz's queued frames). */
  readonly minControl: number;
}

/** The fuzz suite of `size`; `TSPDK_FUZZ_SCALE` scales its connections (and then drops the frame minimum). */
export function describeFuzz(size: FuzzSize): void {
  const SCALE = Number(process.env['TSPDK_FUZZ_SCALE'] ?? 1);
  const CLEAN_CONNECTIONS = Math.max(1, Math.round(size.cleanConnections * SCALE));
  const CLEAN_FRAMES = size.cleanFrames;
  const DIRTY_CONNECTIONS = Math.max(DIRTY_AT_ONCE, Math.round(size.dirtyConnections * SCALE));
  const minFrames = process.env['TSPDK_FUZZ_SCALE'] === undefined ? size.minFrames : 0;
  const title = `survives ${size.minFrames.toLocaleString('en-US')}+ hostile frames (seed ${SEED}) and keeps serving Kong`;

  describe('fuzz over live sockets', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer([rely, probe], {
        maxMessageBytes: 1024 * 1024,
        eventTimeoutMs: 500,
        abandonAfterMs: 300,
        sweepIntervalMs: 50,
      });
    });
    after(async () => server.close());

    it(title, { timeout: 180_000 }, async (t) => {
      const generator = new FrameGenerator(SEED);
      const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
      let frames = 0;
      let closedAsExpected = 0;
      let answers = 0;
      const violations: string[] = [];

      // Live instances for HandleEvent and Steps to hit.
      const seedClient = await FuzzClient.open(server.socket, generator, true);
      seedClient.send(Array.from({ length: 32 }, (_, i): Frame => {
        const mode = ['echo', 'none', 'exit', 'never', 'throw', 'secrets', 'busy', 'reject'][i % 8];
        return { bytes: startBytes(i, i % 2 === 0 ? 'rely' : 'probe', mode as string), expect: 'reply', msgid: i };
      }));
      await waitFor(() => seedClient.outstanding === 0, 10_000, 'instances to start');
      seedClient.destroy();
      assert.ok(generator.instanceIds.length >= 32);

      // The control: a host stand-in that keeps running requests throughout.
      const host = server.host({ workers: 2, poolSize: 4 });
      let running = true;
      let controlOk = 0;
      const controlFailures: string[] = [];
      const control = (async () => {
        while (running) {
          const tag = `c${controlOk}`;
          const response = await host.request([{ name: 'rely', config: { mode: 'echo', tag }, phases: ['access'], key: `control:${tag}` }]);
          const echoed = response.headers.get('x-echo-tag')?.[0];
          if (response.status !== 200 || echoed !== tag) controlFailures.push(`${response.status} ${String(echoed)} ${response.errors.join('; ')}`);
          else controlOk++;
          await sleep(5);
        }
      })();

      const clean = async (): Promise<void> => {
        for (let c = 0; c < CLEAN_CONNECTIONS; c++) {
          const client = await FuzzClient.open(server.socket, generator, true);
          const endsWithClose = c % 4 === 3;
          for (let sent = 0; sent < CLEAN_FRAMES && !client.closed; sent += BATCH) {
            const batch = Array.from({ length: BATCH }, () => generator.reply());
            if (endsWithClose && sent + BATCH >= CLEAN_FRAMES) batch.push(generator.close());
            frames += batch.length;
            client.send(batch);
            await waitFor(() => client.closed || client.outstanding <= BATCH, 30_000, 'answers');
            if (process.env['TSPDK_FUZZ_TRACE'] !== undefined) process.stderr.write(`clean ${c} ${sent} ${Date.now()}\n`);
          }
          if (endsWithClose) {
            await waitFor(() => client.closed, 10_000, 'the server to close the connection');
            closedAsExpected++;
          } else {
            await waitFor(() => client.closed || client.outstanding === 0, 30_000, 'every answer');
            assert.equal(client.closed, false, 'a connection that sent only answerable frames was closed');
            assert.equal(client.outstanding, 0);
            client.destroy();
          }
          answers += client.answers;
          violations.push(...client.violations);
        }
      };

      const dirty = async (): Promise<void> => {
        for (let done = 0; done < DIRTY_CONNECTIONS; done += DIRTY_AT_ONCE) {
          const clients = await Promise.all(Array.from({ length: DIRTY_AT_ONCE }, () => FuzzClient.open(server.socket, generator, false)));
          for (const client of clients) {
            const batch: Frame[] = [];
            for (let i = 0; i < 3; i++) batch.push(generator.reply());
            for (let i = 0; i < 5; i++) batch.push(generator.dirty());
            frames += batch.length;
            client.send(batch);
          }
          await sleep(30);
          for (const client of clients) {
            answers += client.answers;
            violations.push(...client.violations);
            client.destroy();
          }
        }
      };

      await Promise.all([...Array.from({ length: WORKERS }, clean), dirty()]);
      running = false;
      await control;

      t.diagnostic(`frames sent: ${frames}; answers: ${answers}; connections closed as expected: ${closedAsExpected}; control requests: ${controlOk}`);
      assert.ok(frames >= minFrames, `${frames} frames`);
      assert.deepEqual(violations.slice(0, 10), []);
      assert.deepEqual(controlFailures, []);
      assert.ok(controlOk >= size.minControl, `only ${controlOk} control requests`);

      // Nothing leaks: events end (answered, expired or abandoned), connections go.
      await waitFor(() => server.running.server.liveEvents === 0, 20_000, 'every event to be forgotten');
      host.close();
      await waitFor(() => server.running.connections === 0, 10_000, 'every connection to close');
      assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeys);
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);

      // And it still works.
      const after = await server.host().request([{ name: 'rely', config: { mode: 'echo', tag: 'after' }, phases: ['access'] }]);
      assert.deepEqual(after.headers.get('x-echo-tag'), ['after']);
    });
  });
}

/** `[0, msgid, "plugin.StartInstance", [{Name, Config}]]`. */
function startBytes(msgid: number, name: string, mode: string): Uint8Array {
  const config = JSON.stringify({ mode, tag: `seed${msgid}`, delay: 1 });
  const text = new TextEncoder();
  const parts = [
    Uint8Array.of(0x94, 0x00, msgid, 0xb4),
    text.encode('plugin.StartInstance'),
    Uint8Array.of(0x91, 0x82, 0xa4),
    text.encode('Name'),
    Uint8Array.of(0xa0 | name.length),
    text.encode(name),
    Uint8Array.of(0xa6),
    text.encode('Config'),
    Uint8Array.of(0xda, config.length >> 8, config.length & 0xff),
    text.encode(config),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
