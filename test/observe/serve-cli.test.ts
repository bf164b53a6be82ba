/**
 * `tspdk serve --metrics` as an operator runs it: a plugin project that
 * imports `tspdk`, `tspdk/shared` and `tspdk/metrics`; `/metrics` counts its
 * shared-store operations by operation and outcome, the reloads SIGHUP
 * makes (swapped in and refused), and the plugin's own counter, which keeps
 * counting across a reload.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KongHost } from '../../testing/host/kong-host.ts';
import { Scratch, startCli, writeFiles } from '../cli/support.ts';
import { sample, samples, scrape } from '../support/metrics.ts';

function pluginSource(extraField = ''): string {
  return [
    "import { Config, field, serve } from 'tspdk';",
    "import { shared } from 'tspdk/shared';",
    "import { metrics } from 'tspdk/metrics';",
    "const visits = metrics.counter({ name: 'counted_visits_total', help: 'Visits counted by the plugin' });",
    `class Counted extends Config({ greeting: field.string({ default: 'hi' })${extraField} }) {`,
    '  async access(kong) {',
    "    await shared.incr('visits');",
    "    await shared.set('word', 'text');",
    "    await shared.incr('word').catch(() => undefined);",
    '    visits.inc();',
    "    await kong.response.setHeader('x-greeting', this.greeting);",
    '  }',
    '}',
    "serve(Counted, { name: 'counted', version: '1.0', priority: 5 });",
    '',
  ].join('\n');
}

describe('tspdk serve --metrics', () => {
  const scratch = new Scratch();
  after(() => scratch.cleanup());

  it('counts shared-store operations, reloads by outcome and the plugin\'s own metrics', async () => {
    const directory = scratch.pluginDirectory({ 'counted.js': pluginSource() });
    const prefix = scratch.directory();
    const server = scratch.track(startCli(['serve', directory, '--kong-prefix', prefix, '--metrics', '127.0.0.1:0']));
    await server.waitForLog('"msg":"metrics endpoint listening"');
    await server.waitForLog('"listening"');
    const line = server.stderr().split('\n').find((text) => text.includes('"msg":"metrics endpoint listening"')) as string;
    const url = (JSON.parse(line) as { metrics: string }).metrics;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const host = new KongHost({ socket: join(prefix, 'counted.socket'), workers: 1 });
    const plugin = { name: 'counted', config: {}, phases: ['access'] };
    try {
      for (let i = 0; i < 3; i++) assert.deepEqual((await host.request([plugin])).headers.get('x-greeting'), ['hi']);

      // The same code again: swapped in. A schema change: refused.
      let mark = server.stderr().length;
      server.process.kill('SIGHUP');
      await server.waitForLog('"msg":"reloaded"', 10_000, mark);
      for (let i = 0; i < 2; i++) await host.request([plugin]);
      writeFiles(directory, { 'counted.js': pluginSource(', ttl: field.integer({ required: true })') });
      mark = server.stderr().length;
      server.process.kill('SIGHUP');
      await server.waitForLog('reload refused', 10_000, mark);

      const all = samples(await scrape(url));
      assert.equal(sample(all, 'tspdk_reloads_total', { outcome: 'reloaded' }), 1);
      assert.equal(sample(all, 'tspdk_reloads_total', { outcome: 'refused' }), 1);
      const shared = (operation: string, outcome: string): number | undefined => sample(all, 'tspdk_shared_operations_total', { operation, outcome });
      assert.equal(shared('incr', 'ok'), 5);
      assert.equal(shared('incr', 'SHARED_NOT_A_NUMBER'), 5);
      assert.equal(shared('set', 'ok'), 5);
      assert.equal(shared('set', 'SHARED_FULL'), 0);
      assert.equal(shared('get', 'ok'), undefined, 'no series for an operation never used');
      assert.equal(sample(all, 'tspdk_events_total', { plugin: 'counted', phase: 'access', outcome: 'ok' }), 5);
      assert.equal(sample(all, 'counted_visits_total'), 5, 'the plugin\'s counter keeps counting across the reload');
    } finally {
      host.close();
    }
  });
});
