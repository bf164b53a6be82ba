/**
 * tspdk under test: `examples/hello.ts` and the bench's `calls` and `hmac` plugins,
 * served on one socket by {@link startServer}, as the standalone and
 * `tspdk serve` entry points do (warnings and errors on stderr). With
 * `TSPDK_BENCH_DATA_EVENTS` set, connections read through `'data'` events
 * instead of in place (as the floor then does), for before/after figures.
 *
 *   node dist/bench/servers/tspdk.js <socket> [--metrics <address>] [--otlp-endpoint <url>
 *                                    --otlp-protocol <http/protobuf|http/json>
 *                                    --trace-sampler <name> --trace-sampler-arg <ratio>]
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { createLogger, declaredPlugins, hostPlugins, startServer } from '../../server/index.ts';
import { isTraceSampler, parseOtlpProtocol } from '../../server/observe/address.ts';

const { positionals, values: observe } = parseArgs({
  allowPositionals: true,
  options: {
    metrics: { type: 'string' },
    'otlp-endpoint': { type: 'string' },
    'otlp-protocol': { type: 'string' },
    'trace-sampler': { type: 'string' },
    'trace-sampler-arg': { type: 'string' },
  },
});
const socket = positionals[0];
if (socket === undefined) throw new Error('usage: tspdk.js <socket> [--metrics <address>] [--otlp-endpoint <url> ...]');
const sampler = observe['trace-sampler'];
hostPlugins();
await import('../../examples/hello.ts');
await import('../plugins/calls.ts');
await import('../plugins/hmac.ts');
await startServer({
  plugins: declaredPlugins(),
  sockets: [socket],
  logger: createLogger('warn'),
  readInPlace: process.env['TSPDK_BENCH_DATA_EVENTS'] === undefined,
  metrics: observe.metrics,
  otlpEndpoint: observe['otlp-endpoint'],
  otlpProtocol: observe['otlp-protocol'] === undefined ? undefined : parseOtlpProtocol(observe['otlp-protocol']),
  traceSampler: isTraceSampler(sampler) ? sampler : undefined,
  traceSamplerArg: observe['trace-sampler-arg'] === undefined ? undefined : Number(observe['trace-sampler-arg']),
});
// Exit normally on SIGTERM so that `--cpu-prof` writes its profile.
process.once('SIGTERM', () => process.exit(0));
