/**
 * tspdk under test: `examples/hello.ts` and the bench's `calls` and `hmac` plugins,
 * served on one socket by {@link startServer}, as the standalone and
 * `tspdk serve` entry points do (warnings and errors on stderr). With
 * `TSPDK_BENCH_DATA_EVENTS` set, connections read through `'data'` events
 * instead of in place (as the floor then does), for before/after figures.
 *
 *   node dist/bench/servers/tspdk.js <socket>
 *
 * @module
 */
import { createLogger, declaredPlugins, hostPlugins, startServer } from '../../server/index.ts';

const socket = process.argv[2];
if (socket === undefined) throw new Error('usage: tspdk.js <socket>');
hostPlugins();
await import('../../examples/hello.ts');
await import('../plugins/calls.ts');
await import('../plugins/hmac.ts');
await startServer({ plugins: declaredPlugins(), sockets: [socket], logger: createLogger('warn'), readInPlace: process.env['TSPDK_BENCH_DATA_EVENTS'] === undefined });
// Exit normally on SIGTERM so that `--cpu-prof` writes its profile.
process.once('SIGTERM', () => process.exit(0));
