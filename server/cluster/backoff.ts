/**
 * How long a worker that exited waits before it is started again: doubling
 * from the first delay to the last, back to the first after a stable run.
 *
 * @module
 */

/** Options of a {@link Backoff}. */
export interface BackoffOptions {
  /** The first delay, and the delay after a stable run. Defaults to 100 ms. */
  readonly firstMs?: number;
  /** The longest delay. Defaults to 10,000 ms. */
  readonly lastMs?: number;
  /** A run longer than this counts as stable. Defaults to 60,000 ms. */
  readonly stableAfterMs?: number;
}

/** The respawn delays of one worker slot. */
export class Backoff {
  readonly #firstMs: number;
  readonly #lastMs: number;
  readonly #stableAfterMs: number;
  #nextMs: number;

  constructor(options: BackoffOptions = {}) {
    this.#firstMs = options.firstMs ?? 100;
    this.#lastMs = options.lastMs ?? 10_000;
    this.#stableAfterMs = options.stableAfterMs ?? 60_000;
    this.#nextMs = this.#firstMs;
  }

  /** The delay {@link next} would give after a run of `uptimeMs`, without taking it. */
  peek(uptimeMs = 0): number {
    return uptimeMs > this.#stableAfterMs ? this.#firstMs : this.#nextMs;
  }

  /**
   * Takes the delay before the next start, after a run of `uptimeMs` (0 when
   * the start itself failed): the first delay after a stable run, and twice
   * this one (at most the last) next time.
   */
  next(uptimeMs = 0): number {
    const delay = this.peek(uptimeMs);
    this.#nextMs = Math.min(this.#lastMs, delay * 2);
    return delay;
  }
}
