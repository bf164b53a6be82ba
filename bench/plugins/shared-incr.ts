/**
 * The `tspdk/shared` cost plugin (bench/shared.ts): in access it runs
 * `count` `shared.incr` one after the other on its own key, timing them with
 * `performance.now()`, and answers the total in microseconds in the
 * `x-incr-us` response header. With one worker each operation is a map
 * access and a promise in the same process; with `--workers N` it is one IPC
 * round trip to the primary's store.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { Config, field, serve, type Kong } from 'tspdk';
import { shared } from 'tspdk/shared';

export class SharedIncr extends Config({
  count: field.integer({ default: 1000, between: [1, 1_000_000], description: 'shared.incr operations per event' }),
  key: field.string({ default: 'bench', description: 'the key counted (give each concurrent event its own)' }),
}) {
  async access(kong: Kong): Promise<void> {
    const started = performance.now();
    for (let i = 0; i < this.count; i++) await shared.incr(this.key, 1, { ttlMs: 60_000 });
    const elapsedUs = (performance.now() - started) * 1000;
    await kong.response.setHeader('x-incr-us', elapsedUs.toFixed(1));
  }
}

export default serve(SharedIncr, { name: 'shared-incr', version: '0.1.0', priority: 1 });
