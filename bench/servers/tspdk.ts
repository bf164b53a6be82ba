/**
 * tspdk under test: `examples/hello.ts` and the bench's `calls` and `hmac` plugins,
 * served on one socket by {@link startServer}, as the standalone and
 * `tspdk serve` entry points do (warnings and errors on stderr).
 *
 *   node dist/bench/servers/tspdk.js <socket>
 *
 * @module
 */
import { createLogger, declaredPlugins, hostPlugins, startServer } from '../../server/hosting.ts';

const socket = process.argv[2];
if (socket === undefined) throw new Error('usage: tspdk.js <socket>');
hostPlugins();
await import('../../examples/hello.ts');
await import('../plugins/calls.ts');
await import('../plugins/hmac.ts');
await startServer({ plugins: declaredPlugins(), sockets: [socket], logger: createLogger('warn') });
// Exit normally on SIGTERM so that `--cpu-prof` writes its profile.
process.once('SIGTERM', () => process.exit(0));
