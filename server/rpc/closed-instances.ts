/**
 * Instances a worker of a multi-process server started and Kong has since
 * closed, remembered for a short while with the time of the close.
 *
 * Kong may send a HandleEvent on one connection and, a moment later, the
 * CloseInstance of the same instance on another. With one process, the event
 * was received first, so it runs to its end. With `--workers N`, the two may
 * reach different workers: the one that received the event asks the
 * instance's origin for a copy, and that request can reach the origin after
 * it handled the close. The origin then still answers with the record when
 * the close came after the event was received (the asking worker says when
 * that was), marked closed, so that the event runs and no copy is kept.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { InstanceRecord } from './instance.ts';

/** How long a closed instance's record is kept: well past the 5 s a sibling's fetch may take. */
const KEPT_MS = 30_000;

/** Milliseconds since the epoch, with sub-millisecond precision, comparable between the workers of one machine. */
export function clusterClock(): number {
  return performance.timeOrigin + performance.now();
}

/** Recently closed instances of one worker, by id. */
export class ClosedInstances {
  readonly #closed = new Map<number, { readonly record: InstanceRecord; readonly closedAt: number }>();

  /** Kong closed instance `id` now. */
  remember(id: number, record: InstanceRecord, now = clusterClock()): void {
    this.#closed.set(id, { record, closedAt: now });
  }

  /**
   * The record of instance `id`, marked closed, when Kong closed it after
   * `askedAt` (when the asking worker received the request naming it);
   * `undefined` otherwise.
   */
  recordFor(id: number, askedAt: number): InstanceRecord | undefined {
    const closed = this.#closed.get(id);
    if (closed === undefined || !(closed.closedAt > askedAt)) return undefined;
    return { ...closed.record, closed: true };
  }

  /** Forgets the records kept long enough. */
  prune(now = clusterClock()): void {
    for (const [id, closed] of this.#closed) {
      if (now - closed.closedAt > KEPT_MS) this.#closed.delete(id);
    }
  }

  /** Records kept. */
  get size(): number {
    return this.#closed.size;
  }
}
