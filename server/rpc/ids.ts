/**
 * Instance and event ids.
 *
 * Kong keeps instance ids across a plugin server restart and sends them to
 * the new process; a new process that handed out the same ids (a counter from
 * 0) would run another instance's config (Kong/kong#8370). Likewise a Step for
 * an event of the old process must not resume an event of the new one. Ids
 * therefore start at a random point of a large range and count up from there:
 * two processes overlap only with odds of about one in 10^10, and one process
 * never repeats an id. Ids stay below 2^46 (< 10^14) so that Lua prints them
 * exactly.
 *
 * With several worker processes (`--workers N`), each worker's ids also name
 * the worker: `id = serial * 64 + slot`, so any worker finds the owner of an
 * instance or event with one modulo ({@link ownerSlot}).
 *
 * @module
 */
import { randomInt } from 'node:crypto';

const LIMIT = 2 ** 46;
const HEADROOM = 2 ** 36;

/** Worker slots an id can name: `--workers` is at most this. */
export const MAX_SLOTS = 64;
const SERIAL_LIMIT = LIMIT / MAX_SLOTS;

/** Something that hands out ids. */
export interface Ids {
  /** The next id; never repeats within this source. */
  next(): number;
}

/** Hands out increasing integer ids from a random starting point. */
export class IdSource implements Ids {
  #next: number;

  constructor(start: number = randomInt(1, LIMIT - HEADROOM)) {
    this.#next = start;
  }

  next(): number {
    const id = this.#next;
    this.#next = id + 1 >= LIMIT ? 1 : id + 1;
    return id;
  }
}

/** Ids of one worker slot: `serial * 64 + slot`, the serial counting up from a random start. */
export class SlotIdSource implements Ids {
  readonly #slot: number;
  #serial: number;

  constructor(slot: number, start: number = randomInt(1, SERIAL_LIMIT - HEADROOM / MAX_SLOTS)) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) throw new RangeError(`slot must be an integer in 0..${MAX_SLOTS - 1}`);
    this.#slot = slot;
    this.#serial = start;
  }

  next(): number {
    const id = this.#serial * MAX_SLOTS + this.#slot;
    this.#serial = this.#serial + 1 >= SERIAL_LIMIT ? 1 : this.#serial + 1;
    return id;
  }
}

/** The worker slot that owns `id` (see {@link SlotIdSource}). */
export function ownerSlot(id: number): number {
  return id % MAX_SLOTS;
}
