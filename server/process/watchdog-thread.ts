/**
 * The event-loop watchdog's thread (started by watchdog.ts). It runs beside
 * the main thread and reads the activity buffer (server/rpc/activity.ts):
 * - when the heartbeat has not moved for longer than the block timeout (and
 *   no inspector is open), it writes one log line naming the plugin code the
 *   main thread entered last, then kills the process with SIGKILL: nothing
 *   that runs on the blocked thread (exit handlers, `process.exit`) can run,
 *   and from a thread `process.exit` ends the thread only;
 * - when the process it must not outlive (the primary of a worker, Kong's
 *   worker for a single process) is gone while the main thread is blocked,
 *   the same, without waiting for the block timeout.
 *
 * Writes with `fs.writeSync(2)`: the main thread's logger cannot run.
 *
 * @module
 */
import { writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { FloatSlot, Slot, describeActivity } from '../rpc/activity.ts';
import type { WatchdogData } from './watchdog.ts';

const data = workerData as WatchdogData;
const ints = new Int32Array(data.buffer, 0, 4);
const floats = new Float64Array(data.buffer, 16, 2);
const names = [...data.names];
parentPort?.on('message', (message: { name: string; index: number }) => {
  names[message.index] = message.name;
});

/** How long the parent may be gone while the heartbeat stands still before the thread ends the process. */
const ORPHAN_BLOCKED_MS = 2000;

let lastBeat = Atomics.load(ints, Slot.heartbeat);
let lastChange = performance.now();
let parentGoneAt: number | undefined;

function parentGone(): boolean {
  const { parent } = data;
  if (parent === undefined) return false;
  if (parent.startParent !== undefined && process.ppid !== parent.startParent) return true;
  if (parent.pid === undefined) return false;
  try {
    process.kill(parent.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** Logs (as the server's logger would, level fatal) what the main thread entered last, and kills the process. */
function end(message: string, blockedMs: number): void {
  const { plugin, kind } = describeActivity(Atomics.load(ints, Slot.entered), names);
  const line = {
    level: 'fatal',
    time: Date.now(),
    pid: process.pid,
    hostname: hostname(),
    ...(data.worker === undefined ? {} : { worker: data.worker }),
    plugin: plugin ?? null,
    phase: kind ?? null,
    instance: floats[FloatSlot.instanceId] || null,
    event: floats[FloatSlot.eventId] || null,
    blockedMs: Math.round(blockedMs),
    exit: 'SIGKILL',
    msg: message,
  };
  try {
    writeSync(2, `${JSON.stringify(line)}\n`);
  } finally {
    process.kill(process.pid, 'SIGKILL');
  }
}

function check(): void {
  const now = performance.now();
  const beat = Atomics.load(ints, Slot.heartbeat);
  if (beat !== lastBeat || Atomics.load(ints, Slot.inspecting) === 1) {
    lastBeat = beat;
    lastChange = now;
  }
  const blockedMs = now - lastChange;
  if (data.blockTimeoutMs > 0 && blockedMs > data.blockTimeoutMs + data.beatMs) {
    return end(
      `the event loop has been blocked for over ${data.blockTimeoutMs} ms (--block-timeout), most likely by the plugin code entered last (plugin, phase, instance, event): ending the process so that a new one serves`,
      blockedMs,
    );
  }
  if (parentGoneAt === undefined && parentGone()) parentGoneAt = now;
  if (parentGoneAt !== undefined && lastChange < parentGoneAt && now - parentGoneAt > ORPHAN_BLOCKED_MS) {
    end(
      `${data.worker === undefined ? 'the process that started this server' : 'the primary process'} is gone and the event loop is blocked, most likely by the plugin code entered last: ending the process`,
      blockedMs,
    );
  }
}

setInterval(check, data.beatMs);
// Ready: startWatchdog waits for this.
parentPort?.postMessage('ready');
