/**
 * The Redis tests never pass silently: without redis-server, a Redis suite
 * is skipped with one line saying how to install it; with
 * `TSPDK_REQUIRE_REDIS=1` (as `.ci/run` sets) it fails instead. Runs a
 * real Redis suite in a child `node --test` with `TSPDK_REDIS_SERVER`
 * naming a binary that does not exist.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const SUITE = join(dirname(fileURLToPath(import.meta.url)), 'redis-failures.test.js');

/** Runs the Redis failure suite without a redis-server, with `env` added; gives its exit status and TAP output. */
function runWithoutRedis(env: Record<string, string>): { status: number | null; output: string } {
  // NODE_TEST_CONTEXT would make the child's node --test think it runs inside this test, and run nothing.
  const outer = { ...process.env };
  delete outer['NODE_TEST_CONTEXT'];
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap', SUITE], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...outer, TSPDK_REDIS_SERVER: '/nonexistent/redis-server', TSPDK_REQUIRE_REDIS: '', ...env },
  });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('Redis tests without redis-server', () => {
  it('are skipped with one line saying how to install it, and nothing is reported as passed', () => {
    const { status, output } = runWithoutRedis({});
    assert.equal(status, 0, output);
    const skips = output.split('\n').filter((line) => line.includes('# SKIP'));
    assert.deepEqual(skips, ['ok 1 - tspdk/shared on Redis, failures # SKIP redis-server is not installed: apt-get install redis-server (Debian/Ubuntu) to run the Redis tests']);
    assert.match(output, /^# tests 0$/m, 'no test ran, so none passed');
    assert.match(output, /^# fail 0$/m);
  });

  it('fail, with that line, when TSPDK_REQUIRE_REDIS=1 (as .ci/run sets)', () => {
    const { status, output } = runWithoutRedis({ TSPDK_REQUIRE_REDIS: '1' });
    assert.equal(status, 1, output);
    assert.match(output, /redis-server is not installed: apt-get install redis-server \(Debian\/Ubuntu\) to run the Redis tests \(TSPDK_REQUIRE_REDIS=1: required here\)/);
    assert.doesNotMatch(output, /# SKIP/);
    assert.match(output, /^# fail [1-9]\d*$/m);
  });
});
