/**
 * `tspdk/metrics`: definitions are checked with errors that say what is
 * wrong; handles do nothing until the server records, then record on the
 * server's registry; defining the same metric again (a reload) gives the
 * same handle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metrics } from 'tspdk/metrics';
import { ServerMetrics } from '../../server/observe/registry.ts';
import { sample, samples } from '../support/metrics.ts';

describe('tspdk/metrics', () => {
  it('refuses bad definitions, saying why', () => {
    assert.throws(() => metrics.counter({ name: 'bad-name', help: 'x' }), /name must match/);
    assert.throws(() => metrics.counter({ name: 'tspdk_mine_total', help: 'x' }), /names starting with tspdk_, process_ or nodejs_ are the server's/);
    assert.throws(() => metrics.counter({ name: 'mine_total', help: ' ' }), /help must be a non-empty string/);
    assert.throws(() => metrics.counter({ name: 'mine_total', help: 'x', labelNames: ['__x'] }), /labelNames must be names/);
    assert.throws(() => metrics.histogram({ name: 'mine_seconds', help: 'x', labelNames: ['le'] }), /"le" is the bucket label/);
    assert.throws(() => metrics.histogram({ name: 'mine_seconds', help: 'x', buckets: [1, 0.5] }), /buckets must be a non-empty array of increasing/);
    assert.throws(() => metrics.counter({ name: 'mine_total', help: 'x', aggregate: 'max' } as never), /aggregate must be one of .* \(gauges only\)/);
  });

  it('do nothing without a server recording, then record on its registry', async () => {
    const hits = metrics.counter({ name: 'plugin_test_hits_total', help: 'Hits', labelNames: ['route'] });
    const depth = metrics.gauge({ name: 'plugin_test_depth', help: 'Depth', aggregate: 'max' });
    const sizes = metrics.histogram({ name: 'plugin_test_size_bytes', help: 'Sizes', buckets: [10, 100] });
    assert.equal(metrics.enabled, false);
    hits.inc({ route: 'a' }); // before any server: dropped
    const server = new ServerMetrics();
    try {
      assert.equal(metrics.enabled, true);
      hits.inc({ route: 'a' });
      hits.inc({ route: 'a' }, 2);
      hits.inc({ route: 'b' });
      depth.set(7);
      depth.dec(2);
      sizes.observe(50);
      sizes.observe(500);
      const elapsed = metrics.histogram({ name: 'plugin_test_wait_seconds', help: 'Waits' }).startTimer()();
      assert.ok(elapsed >= 0);
      const all = samples(await server.registry.metrics());
      assert.equal(sample(all, 'plugin_test_hits_total', { route: 'a' }), 3);
      assert.equal(sample(all, 'plugin_test_hits_total', { route: 'b' }), 1);
      assert.equal(sample(all, 'plugin_test_depth'), 5);
      assert.equal(sample(all, 'plugin_test_size_bytes_bucket', { le: '100' }), 1);
      assert.equal(sample(all, 'plugin_test_size_bytes_count'), 2);
      assert.equal(sample(all, 'plugin_test_wait_seconds_count'), 1);
      assert.equal((await server.registry.getMetricsAsJSON()).find((metric) => metric.name === 'plugin_test_depth')?.aggregator, 'max');
      // A label the definition does not have is the plugin's bug: it throws, as prom-client does.
      assert.throws(() => hits.inc({ other: 'x' } as never), /label/);
    } finally {
      server.close();
    }
    assert.equal(metrics.enabled, false);
  });

  it('give the same handle for the same definition, and refuse another definition under the same name', () => {
    const first = metrics.counter({ name: 'plugin_test_again_total', help: 'Again', labelNames: ['k'] });
    assert.equal(metrics.counter({ name: 'plugin_test_again_total', help: 'Again', labelNames: ['k'] }), first);
    assert.throws(() => metrics.gauge({ name: 'plugin_test_again_total', help: 'Again', labelNames: ['k'] }), /already defined as a counter with labels \[k\]/);
  });
});
