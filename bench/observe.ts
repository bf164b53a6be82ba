/**
 * What metrics and traces cost (issue 18): server CPU per hello event at
 * c=64, tspdk plain, with `--metrics`, and with tracing at 10 % and 100 %
 * of events (`parentbased_traceidratio`), the spans exported over OTLP/HTTP
 * protobuf (the default; 10 % also with `http/json`, for comparison) to a
 * sink in this process that reads, counts and drops them. Every variant in a
 * fresh process each round, in a rotating order; the ratios are the
 * medians of the per-round ratios to plain tspdk.
 *
 * The figures are the steady state: every variant warms up for at least
 * {@link MIN_WARMUP_MS} before its window. A process that has just switched
 * tracing on spends its first seconds of load on one-off work (V8 compiling
 * the SDK's span and export paths, the exporter's first connections): with
 * the 400 ms warm-up of the other sections, that one-off cost lands in the
 * window and tripled the figure of 10 % tracing (×2.7 against ×1.1–1.2 after
 * 6 s, same machine).
 *
 *   node dist/bench/observe.js [--rounds 4] [--duration 1500] [--warmup 6000]
 *
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { measureLoad, type CellFigures, type LoadOptions } from './measure.ts';
import { HELLO, HELLO_TRACED, type Scenario } from './scenarios.ts';
import { decodeTraceRequest } from '../test/support/otlp-protobuf.ts';

/** The shortest warm-up of a variant, in ms: past the one-off start of tracing (see above). */
export const MIN_WARMUP_MS = 6000;

/** One configuration of the server. */
interface Variant {
  readonly label: string;
  readonly scenario: Scenario;
  readonly serverArgs: (sink: string) => readonly string[];
}

const VARIANTS: readonly Variant[] = [
  { label: 'plain', scenario: HELLO, serverArgs: () => [] },
  { label: '--metrics', scenario: HELLO, serverArgs: () => ['--metrics', '127.0.0.1:0'] },
  { label: 'tracing 10%', scenario: HELLO_TRACED, serverArgs: (sink) => ['--otlp-endpoint', sink, '--trace-sampler', 'parentbased_traceidratio', '--trace-sampler-arg', '0.1'] },
  {
    label: 'tracing 10% json',
    scenario: HELLO_TRACED,
    serverArgs: (sink) => ['--otlp-endpoint', sink, '--otlp-protocol', 'http/json', '--trace-sampler', 'parentbased_traceidratio', '--trace-sampler-arg', '0.1'],
  },
  { label: 'tracing 100%', scenario: HELLO_TRACED, serverArgs: (sink) => ['--otlp-endpoint', sink, '--trace-sampler', 'parentbased_always_on'] },
];

/** What the section measured. */
export interface ObserveBenchResult {
  readonly concurrency: number;
  readonly rounds: number;
  /** Figures per variant, one per round. */
  readonly raw: Record<string, CellFigures[]>;
  /** Median server CPU µs per event, per variant. */
  readonly cpuMicrosPerEvent: Record<string, number>;
  /** Median of the per-round CPU ratios to plain tspdk, per variant. */
  readonly cpuRatio: Record<string, number>;
  /** Spans the sink received, per protocol. */
  readonly spansReceived: Record<string, number>;
}

/** An OTLP/HTTP endpoint that takes every export (protobuf or JSON), counts its spans and drops it. */
async function startSink(): Promise<{ url: string; spans: () => Record<string, number>; server: Server }> {
  const spans: Record<string, number> = {};
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    const json = (request.headers['content-type'] ?? '').startsWith('application/json');
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const count = json ? body.toString('latin1').split('"spanId"').length - 1 : decodeTraceRequest(body).length;
      const protocol = json ? 'http/json' : 'http/protobuf';
      spans[protocol] = (spans[protocol] ?? 0) + count;
      if (json) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans: () => ({ ...spans }), server };
}

const median = (values: readonly number[]): number => {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Runs the section; `log` prints a line. */
export async function runObserveBench(rounds: number, load: LoadOptions, log: (line: string) => void, concurrency = 64): Promise<ObserveBenchResult> {
  const sink = await startSink();
  const steady: LoadOptions = { ...load, warmupMs: Math.max(load.warmupMs, MIN_WARMUP_MS) };
  const raw: Record<string, CellFigures[]> = {};
  try {
    for (let round = 0; round < rounds; round++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length] as Variant);
      for (const variant of order) {
        const figures = await measureLoad('tspdk', [variant.scenario], concurrency, { ...steady, serverArgs: variant.serverArgs(sink.url) });
        (raw[variant.label] ??= []).push(figures);
        log(`  round ${round + 1} hello c=${concurrency} ${variant.label.padEnd(16)} ${figures.eventsPerSec.toFixed(0).padStart(7)} ev/s  ${figures.cpuMicrosPerEvent.toFixed(1).padStart(6)} µs/ev  p99 ${figures.p99Ms.toFixed(3)} ms`);
      }
    }
  } finally {
    await new Promise<void>((resolve) => sink.server.close(() => resolve()));
  }
  const plain = raw['plain'] ?? [];
  const cpuMicrosPerEvent: Record<string, number> = {};
  const cpuRatio: Record<string, number> = {};
  for (const variant of VARIANTS) {
    const list = raw[variant.label] ?? [];
    cpuMicrosPerEvent[variant.label] = median(list.map((figures) => figures.cpuMicrosPerEvent));
    cpuRatio[variant.label] = median(list.map((figures, i) => figures.cpuMicrosPerEvent / (plain[i]?.cpuMicrosPerEvent ?? Number.NaN)));
  }
  const result = { concurrency, rounds, raw, cpuMicrosPerEvent, cpuRatio, spansReceived: sink.spans() };
  log(`\nObservability cost, hello c=${concurrency} (server CPU µs/event, median; ratio to plain tspdk, median of per-round ratios)`);
  for (const variant of VARIANTS) {
    log(`  ${variant.label.padEnd(16)} ${(cpuMicrosPerEvent[variant.label] ?? Number.NaN).toFixed(1).padStart(6)} µs/ev  ×${(cpuRatio[variant.label] ?? Number.NaN).toFixed(3)}`);
  }
  log(`  spans received by the OTLP sink: ${Object.entries(result.spansReceived).map(([protocol, count]) => `${count} (${protocol})`).join(', ') || 'none'}`);
  return result;
}

// Run alone: node dist/bench/observe.js
if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '4' }, duration: { type: 'string', default: '1500' }, warmup: { type: 'string', default: String(MIN_WARMUP_MS) }, help: { type: 'boolean' } },
  });
  if (values.help === true) {
    process.stdout.write(`usage: node dist/bench/observe.js [--rounds 4] [--duration 1500] [--warmup ${MIN_WARMUP_MS}]\n  variants: ${VARIANTS.map((variant) => variant.label).join(', ')}\n`);
    process.exit(0);
  }
  await runObserveBench(Number(values.rounds), { warmupMs: Number(values.warmup), durationMs: Number(values.duration) }, (line) => process.stdout.write(`${line}\n`));
}
