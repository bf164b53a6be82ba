/**
 * The floor: the least a Node process can do for the message sequence of the
 * bench plugins. It frames and decodes every request with @msgpack/msgpack
 * (as any server must) and answers from precomputed bytes; only the msgid
 * and EventId are written per reply. No plugin code, no promises, no PDK.
 * It reads in place as the server does (server/wire/direct-reads.ts), since that
 * is the least Node's socket layer can cost; with `TSPDK_BENCH_DATA_EVENTS`
 * set it reads through `'data'` events instead, as both did before.
 *
 *   node dist/bench/servers/floor.js <socket>
 *
 * @module
 */
import { unlinkSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { readInPlace } from '../../server/wire/direct-reads.ts';
import { Framer } from '../../server/wire/framer.ts';

const socketPath = process.argv[2];
if (socketPath === undefined) throw new Error('usage: floor.js <socket>');
const dataEvents = process.env['TSPDK_BENCH_DATA_EVENTS'] !== undefined;

const encoder = new Encoder();
const RET = encoder.encode('ret');
const call = (method: string, args: unknown[]): Uint8Array => encoder.encode({ Method: method, Args: args });
const GET_HOST = call('kong.request.get_header', ['host']);
const setHeader = (who: string): Uint8Array =>
  call('kong.response.set_header', ['x-hello-from-typescript', `TypeScript says ${who} to example.com`]);

/** The `Data` of each reply of an event, the last one being "ret" (or an exit). */
interface Script {
  readonly steps: readonly Uint8Array[];
}

function scriptFor(name: string, configJson: string): Script {
  if (name === 'hello') return { steps: [GET_HOST, setHeader('hello'), RET] };
  const config = JSON.parse(configJson) as { calls?: number; mode?: string };
  const mode = config.mode ?? 'calls';
  if (mode === 'body') return { steps: [call('kong.request.get_raw_body', []), RET] };
  if (mode === 'exit') return { steps: [call('kong.response.exit', [403])] };
  const steps: Uint8Array[] = [];
  for (let i = 0; i < (config.calls ?? 0); i += 2) steps.push(GET_HOST, setHeader(mode));
  steps.push(RET);
  return { steps };
}

const instances = new Map<number, Script>();
/** Live events: their script and the index of the next reply. */
const events = new Map<number, { script: Script; next: number }>();
let nextInstance = 1;
let nextEvent = 1;
const decoder = new Decoder();
const head = new Uint8Array(32);
const view = new DataView(head.buffer);
const EVENT_ID = Buffer.from('EventId');
const DATA = Buffer.from('Data');

/** `[1, msgid, nil, {EventId: id, Data: <data>}]`. */
function stepReply(msgid: number, id: number, data: Uint8Array): Buffer {
  let n = 0;
  head[n++] = 0x94;
  head[n++] = 0x01;
  n = uint(msgid, n);
  head[n++] = 0xc0;
  head[n++] = 0x82;
  head[n++] = 0xa7;
  head.set(EVENT_ID, n);
  n += 7;
  n = uint(id, n);
  head[n++] = 0xa4;
  head.set(DATA, n);
  n += 4;
  return Buffer.concat([head.subarray(0, n), data]);
}

function uint(value: number, at: number): number {
  if (value <= 0x7f) head[at++] = value;
  else if (value <= 0xffff) {
    head[at++] = 0xcd;
    view.setUint16(at, value);
    at += 2;
  } else {
    head[at++] = 0xce;
    view.setUint32(at, value);
    at += 4;
  }
  return at;
}

function answer(socket: Socket, message: unknown): void {
  const [, msgid, method, params] = message as [0, number, string, [Record<string, unknown>]];
  const arg = params[0];
  if (method === 'plugin.HandleEvent') {
    const script = instances.get(arg['InstanceId'] as number);
    if (script === undefined) throw new Error('no instance');
    const id = nextEvent++;
    const state = { script, next: 1 };
    if (script.steps.length > 1) events.set(id, state);
    socket.write(stepReply(msgid, id, script.steps[0] as Uint8Array));
  } else if (method.startsWith('plugin.Step')) {
    const id = arg['EventId'] as number;
    const state = events.get(id);
    if (state === undefined) throw new Error('no event');
    const data = state.script.steps[state.next++] as Uint8Array;
    if (state.next === state.script.steps.length) events.delete(id);
    socket.write(stepReply(msgid, id, data));
  } else if (method === 'plugin.StartInstance') {
    const id = nextInstance++;
    instances.set(id, scriptFor(arg['Name'] as string, arg['Config'] as string));
    socket.write(encoder.encode([1, msgid, null, { Id: id, Name: arg['Name'], Config: {}, StartTime: 0 }]));
  } else {
    socket.write(encoder.encode([1, msgid, null, null]));
  }
}

try {
  unlinkSync(socketPath);
} catch {
  // no stale socket
}
createServer((accepted) => {
  const framer = new Framer();
  let socket = accepted;
  const sink = (bytes: Uint8Array): void => answer(socket, decoder.decode(bytes));
  const moved = dataEvents
    ? undefined
    : readInPlace(accepted, {
        target: () => framer.readTarget(),
        filled: (count) => {
          framer.commit(count, sink);
          return true;
        },
      });
  if (moved === undefined) socket.on('data', (chunk: Buffer) => framer.push(chunk, sink));
  else socket = moved;
  socket.on('error', () => undefined);
}).listen(socketPath);
process.once('SIGTERM', () => process.exit(0));
