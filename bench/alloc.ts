/**
 * Bytes allocated per hello event, by allocation site: V8's sampling heap
 * profiler, counting objects that the garbage collector has already freed,
 * over events driven through `PluginServer.handle` with a replier that
 * answers at once (no socket). The driver's own allocations (its request
 * objects and `setImmediate`) are listed as such.
 *
 *   node dist/bench/alloc.js [--events 50000]
 *
 * @module
 */
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import type { Replier } from '../server/rpc/event.ts';
import { silentLogger } from '../server/process/logger.ts';
import { definePlugin } from '../plugin/definition.ts';
import { PluginServer } from '../server/rpc/plugin-server.ts';
import { hostPlugins } from '../plugin/serve.ts';

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

hostPlugins();
const { Hello } = await import('../examples/hello.ts');
const { values } = parseArgs({ options: { events: { type: 'string', default: '50000' } } });
const events = Number(values.events);

let lastEvent = 0;
let lastMethod: string | undefined;
const results: unknown[] = [];
const replier: Replier = {
  reply(_msgid, error, result) {
    if (error !== null) throw new Error(error);
    results.push(result);
    return true;
  },
  replyStep(_msgid, eventId, method) {
    lastEvent = eventId;
    lastMethod = method;
    return true;
  },
};
const server = new PluginServer([definePlugin(Hello, { name: 'hello', version: '0.1.0', priority: 1 })], { logger: silentLogger() });
server.handle(replier, 1, 'plugin.StartInstance', [{ Name: 'hello', Config: '{}' }]);
const instanceId = (results.pop() as { Id: number }).Id;
let msgid = 10;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function driveEvent(): Promise<void> {
  server.handle(replier, ++msgid, 'plugin.HandleEvent', [{ InstanceId: instanceId, EventName: 'access' }]);
  await turn();
  const id = lastEvent;
  server.handle(replier, ++msgid, 'plugin.Step', [{ EventId: id, Data: 'example.com' }]);
  await turn();
  server.handle(replier, ++msgid, 'plugin.Step', [{ EventId: id }]);
  await turn();
  if (lastMethod !== undefined || server.liveEvents !== 0) throw new Error('the event did not end with "ret"');
}

for (let i = 0; i < 20_000; i++) await driveEvent();
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 32, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
for (let i = 0; i < events; i++) await driveEvent();
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
session.disconnect();

const bySite = new Map<string, number>();
let total = 0;
const pending: ProfileNode[] = [profile.head];
for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
  pending.push(...node.children);
  if (node.selfSize === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.split('/').slice(-2).join('/');
  const site = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}${file.startsWith('bench/') || file.includes('timers') ? '  [driver]' : ''}`;
  bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  total += node.selfSize;
}
process.stdout.write(`Node ${process.version}: ${(total / events).toFixed(0)} bytes allocated per hello event (${events} events), by site:\n`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).filter(([, bytes]) => bytes >= events)) {
  process.stdout.write(`${(bytes / events).toFixed(0).padStart(7)}  ${site}\n`);
}
