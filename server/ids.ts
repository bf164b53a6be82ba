/**
 * Instance and event ids.
 *
 * Kong keeps instance ids across a plugin server restart and sends them to
 * the new process; a new process that handed out the same ids (a counter from
 * 0) would run another instance's config (Kong/kong#8370). Likewise a Step for
 * an event of the old process must not resume an event of the new one. Ids
 * therefore start at a random point of a large range and count up from there:
 * two processes overlap only with odds of about one in 10^10, and one process
 * never repeats an id. Ids stay below 10^14 so that Lua prints them exactly.
 *
 * @module
 */
import { randomInt } from 'node:crypto';

const LIMIT = 2 ** 46;
const HEADROOM = 2 ** 36;

/** Hands out increasing integer ids from a random starting point. */
export class IdSource {
  #next: number;

  constructor(start: number = randomInt(1, LIMIT - HEADROOM)) {
    this.#next = start;
  }

  /** The next id; never repeats within this source. */
  next(): number {
    const id = this.#next;
    this.#next = id + 1 >= LIMIT ? 1 : id + 1;
    return id;
  }
}
