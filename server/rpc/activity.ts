/**
 * What plugin code the main thread entered last, for the event-loop
 * watchdog (server/process/watchdog.ts), which reads it from another thread
 * when the loop is blocked: the plugin, the phase, the instance and the
 * event. Every entry into plugin code writes it: a phase starting, a PDK
 * result resuming it, a plugin's constructor. Writing costs three stores in
 * a small shared buffer, which the watchdog's thread receives when it
 * starts ({@link shareActivity}). The buffer and its views never change, so
 * that V8 compiles each store as a store to a known address: with a
 * private buffer swapped for a shared one when the watchdog started, the
 * record cost 0.2-0.3 µs per event of 8 PDK calls in process, and within
 * that benchmark's noise since.
 *
 * Layout of the buffer: `Int32Array` [0] heartbeat (see {@link beat}),
 * [1] what was entered ({@link ActivityCode}), [2] 1 while an inspector is
 * open (a debugger paused at a breakpoint is not a blocked loop);
 * `Float64Array` from byte 16: [0] the event id, [1] the instance id.
 *
 * @module
 */
import inspector from 'node:inspector';
import { PHASES, type Phase } from '../../plugin/phases.ts';

/** Bytes of the activity buffer. */
export const ACTIVITY_BYTES = 32;

/** Int32 slots. */
export const Slot = Object.freeze({ heartbeat: 0, entered: 1, inspecting: 2 });
/** Float64 slots (from byte 16). */
export const FloatSlot = Object.freeze({ eventId: 0, instanceId: 1 });

/** What is entered besides phases: a plugin's constructor (StartInstance). */
export const CONSTRUCTOR = 'constructor';

/** Kinds of entry: the phases, then the constructor. */
export const ENTRY_KINDS: readonly string[] = [...PHASES, CONSTRUCTOR];
const KIND_COUNT = 8;

/**
 * A plugin and a kind of entry in one number: plugin index × 8 + kind
 * (see {@link ENTRY_KINDS}); 0 … and -1 for nothing entered yet.
 */
export type ActivityCode = number;

const buffer = new SharedArrayBuffer(ACTIVITY_BYTES);
const ints = new Int32Array(buffer, 0, 4);
const floats = new Float64Array(buffer, 16, 2);
ints[Slot.entered] = -1;

/** Plugin names by index, and the index of each name. */
const names: string[] = [];
const indexes = new Map<string, number>();
/** Told of each plugin name the first time it is entered (the watchdog's thread learns the names this way). */
let onNewPlugin: ((name: string, index: number) => void) | undefined;

/** The code of `kind` (a phase or {@link CONSTRUCTOR}) of plugin `name`. */
export function activityCode(name: string, kind: Phase | typeof CONSTRUCTOR): ActivityCode {
  let index = indexes.get(name);
  if (index === undefined) {
    index = names.length;
    names.push(name);
    indexes.set(name, index);
    onNewPlugin?.(name, index);
  }
  return index * KIND_COUNT + ENTRY_KINDS.indexOf(kind);
}

/** Records that the main thread enters the plugin code of `code`, for `eventId` of `instanceId` (0 when none). */
export function recordEntry(code: ActivityCode, instanceId: number, eventId: number): void {
  ints[Slot.entered] = code;
  floats[FloatSlot.instanceId] = instanceId;
  floats[FloatSlot.eventId] = eventId;
}

/** The record's shared buffer, with the plugin names known so far; `listener` learns later ones. */
export function shareActivity(listener: (name: string, index: number) => void): { buffer: SharedArrayBuffer; names: readonly string[] } {
  onNewPlugin = listener;
  return { buffer, names: [...names] };
}

/** The main thread is alive: advances the heartbeat, and says whether an inspector is open. */
export function beat(): void {
  Atomics.add(ints, Slot.heartbeat, 1);
  Atomics.store(ints, Slot.inspecting, inspector.url() === undefined ? 0 : 1);
}

/** What the code stands for, given the plugin names. */
export function describeActivity(code: ActivityCode, known: readonly string[]): { plugin: string | undefined; kind: string | undefined } {
  if (code < 0) return { plugin: undefined, kind: undefined };
  return { plugin: known[Math.floor(code / KIND_COUNT)], kind: ENTRY_KINDS[code % KIND_COUNT] };
}
