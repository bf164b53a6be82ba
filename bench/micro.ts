/**
 * Microbenchmarks (tinybench) of the pieces of one event, in-process:
 * framing, decoding, encoding a reply, the dispatcher (PluginServer.handle
 * with a replier that answers at once) and hello's access phase over a fake
 * bridge. Each result is checked once before timing and kept in a sink.
 *
 *   node dist/bench/micro.js [--json] [--kong-version 3.4]
 *
 * `--kong-version` runs the dispatcher as a server started with it (each PDK
 * call first looked up in the set of names that version lacks); compare two
 * runs, with and without, rather than both in one process, where the
 * bindings would see two kinds of bridge.
 *
 * @module
 */
import { Bench } from 'tinybench';
import type { Bridge } from '../pdk/bridge.ts';
import { Kong } from '../pdk/kong.ts';
import { MessageDecoder, MessageEncoder, ReplyEncoder } from '../server/wire/codec.ts';
import type { Replier } from '../server/rpc/event.ts';
import { Framer } from '../server/wire/framer.ts';
import { silentLogger } from '../server/process/logger.ts';
import { PluginServer } from '../server/rpc/plugin-server.ts';
import { RequestReader } from '../server/wire/request-reader.ts';
import { hostPlugins } from '../plugin/serve.ts';
import { definePlugin } from '../plugin/definition.ts';
import { luaPack } from '../testing/host/lua-msgpack.ts';

// Registers hello without starting its standalone server.
hostPlugins();
const { Hello } = await import('../examples/hello.ts');

let sink: unknown;
const json = process.argv.includes('--json');
const versionAt = process.argv.indexOf('--kong-version');
const kongVersion = versionAt === -1 ? undefined : process.argv[versionAt + 1];

const step = luaPack([0, 1234, 'plugin.Step', [{ EventId: 8_765_432_198, Data: 'example.com' }]]);
const handleEvent = luaPack([0, 1233, 'plugin.HandleEvent', [{ InstanceId: 17, EventName: 'access' }]]);
const decoder = new MessageDecoder();
const encoder = new MessageEncoder();
const framer = new Framer();
const reader = new RequestReader();
const replyEncoder = new ReplyEncoder();
const reply = [1, 1234, null, { EventId: 8_765_432_198, Data: { Method: 'kong.response.set_header', Args: ['x-hello-from-typescript', 'TypeScript says hello to example.com'] } }];

// The dispatcher: one hello event through PluginServer.handle.
const replies: unknown[] = [];
const replier: Replier = {
  reply(_msgid, error, result) {
    if (error !== null) throw new Error(error);
    replies.push(result);
    return true;
  },
};
const server = new PluginServer([definePlugin(Hello, { name: 'hello', version: '0.1.0', priority: 1 })], { logger: silentLogger(), kongVersion });
server.handle(replier, 1, 'plugin.StartInstance', [{ Name: 'hello', Config: '{}' }]);
const instanceId = (replies.pop() as { Id: number }).Id;
let msgid = 10;

async function nextReply(): Promise<{ EventId: number; Data: unknown }> {
  while (replies.length === 0) await Promise.resolve();
  return replies.shift() as { EventId: number; Data: unknown };
}

async function dispatchEvent(): Promise<unknown> {
  server.handle(replier, ++msgid, 'plugin.HandleEvent', [{ InstanceId: instanceId, EventName: 'access' }]);
  const first = await nextReply();
  server.handle(replier, ++msgid, 'plugin.Step', [{ EventId: first.EventId, Data: 'example.com' }]);
  await nextReply();
  server.handle(replier, ++msgid, 'plugin.Step', [{ EventId: first.EventId }]);
  return (await nextReply()).Data;
}

// hello's phase over a bridge that answers at once.
const bridge: Bridge = {
  call: (method) => Promise.resolve(method === 'kong.request.get_header' ? 'example.com' : undefined),
  exit: () => new Promise<never>(() => undefined),
};
const hello = new Hello();

// Correctness before timing.
const decoded = decoder.decode(step, false) as unknown[];
if (decoded[2] !== 'plugin.Step') throw new Error('decode');
let framed = 0;
framer.push(step, () => framed++);
if (framed !== 1) throw new Error('framer');
if (!reader.read(step) || reader.arg['Data'] !== 'example.com') throw new Error('reader');
if (!Buffer.from(encoder.encode(reply)).equals(replyEncoder.step(1234, 8_765_432_198, 'kong.response.set_header', ['x-hello-from-typescript', 'TypeScript says hello to example.com']) ?? Buffer.alloc(0))) {
  throw new Error('reply encoder');
}
if ((await dispatchEvent()) !== 'ret') throw new Error('dispatcher');
if (server.liveEvents !== 0) throw new Error('event leaked');

const bench = new Bench({ time: 700, warmupTime: 200 });
bench
  .add('framer.push (one 40-byte Step)', () => {
    framer.push(step, (bytes) => {
      sink = bytes;
    });
  })
  .add('decode Step', () => {
    sink = decoder.decode(step, false);
  })
  .add('decode HandleEvent', () => {
    sink = decoder.decode(handleEvent, false);
  })
  .add('read Step in place (RequestReader, the fast path)', () => {
    sink = reader.read(step) && reader.arg;
  })
  .add('encode PDK-call reply (general encoder)', () => {
    sink = encoder.encodeShared(reply);
  })
  .add('encode PDK-call reply (ReplyEncoder, the fast path)', () => {
    sink = replyEncoder.step(1234, 8_765_432_198, 'kong.response.set_header', ['x-hello-from-typescript', 'TypeScript says hello to example.com']);
  })
  .add(`dispatcher: hello event (HandleEvent + 2 Steps)${kongVersion === undefined ? '' : `, --kong-version ${kongVersion}`}`, async () => {
    sink = await dispatchEvent();
  })
  .add('hello.access over a fake bridge', async () => {
    sink = await hello.access(new Kong(bridge));
  });
await bench.run();

const rows = bench.tasks.map((task) => {
  const result = task.result as unknown as { latency?: { p50?: number; mean?: number }; throughput?: { mean?: number } } | undefined;
  return { name: task.name, medianNs: (result?.latency?.p50 ?? Number.NaN) * 1e6, opsPerSec: result?.throughput?.mean ?? Number.NaN };
});
if (json) process.stdout.write(`${JSON.stringify({ node: process.version, kongVersion: kongVersion ?? null, rows }, null, 2)}\n`);
else {
  process.stdout.write(`Node ${process.version}\n`);
  for (const row of rows) process.stdout.write(`${row.name.padEnd(54)} ${row.medianNs.toFixed(0).padStart(8)} ns  ${row.opsPerSec.toFixed(0).padStart(10)} ops/s\n`);
}
if (sink === Symbol.for('never')) process.stdout.write('');
