/**
 * The event-loop watchdog in a small process of its own (the plugin server
 * end to end is in blocked.slow.test.ts): the thread kills a process whose
 * loop is blocked, naming what was entered last, and leaves alone one whose
 * loop turns; the activity record names plugins and phases.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { activityCode, CONSTRUCTOR, describeActivity, recordEntry, shareActivity, Slot, FloatSlot } from '../../server/rpc/activity.ts';

const activityUrl = new URL('../../server/rpc/activity.js', import.meta.url).href;
const watchdogUrl = new URL('../../server/process/watchdog.js', import.meta.url).href;

/** Runs `body` after starting a watchdog of `blockTimeoutMs`; resolves with how the process ended and its stderr. */
function run(blockTimeoutMs: number, body: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
  const source = `
    import { activityCode, recordEntry } from ${JSON.stringify(activityUrl)};
    import { startWatchdog } from ${JSON.stringify(watchdogUrl)};
    const logger = { error: (...args) => console.error(JSON.stringify(args)) };
    startWatchdog({ logger, blockTimeoutMs: ${blockTimeoutMs} });
    ${body}`;
  const started = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stderr, ms: performance.now() - started })));
}

describe('event-loop watchdog', () => {
  it('kills a process whose loop stays blocked, naming the plugin code entered last', { timeout: 30_000 }, async () => {
    const result = await run(300, `
      setTimeout(() => {
        recordEntry(activityCode('other', 'log'), 1, 2);
        recordEntry(activityCode('demo', 'access'), 7, 42);
        for (;;) {}
      }, 50);`);
    assert.equal(result.signal, 'SIGKILL', result.stderr);
    const line = JSON.parse(result.stderr.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    assert.equal(line['level'], 'fatal');
    assert.equal(line['plugin'], 'demo');
    assert.equal(line['phase'], 'access');
    assert.equal(line['instance'], 7);
    assert.equal(line['event'], 42);
    assert.ok(Number(line['blockedMs']) > 300, String(line['blockedMs']));
    assert.match(String(line['msg']), /blocked for over 300 ms \(--block-timeout\)/);
  });

  it('leaves a process alone while its loop turns, even when each turn is busy for a while', { timeout: 30_000 }, async () => {
    const result = await run(300, `
      let turns = 0;
      const timer = setInterval(() => {
        const end = performance.now() + 150;
        while (performance.now() < end) {}
        if (++turns === 12) { clearInterval(timer); }
      }, 1);`);
    assert.equal(result.signal, null, result.stderr);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
  });

  it('does not keep a process alive', { timeout: 30_000 }, async () => {
    const result = await run(10_000, '');
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.ms < 5000, `exited after ${Math.round(result.ms)} ms`);
  });

  it('records plugins and kinds of entry in shared memory', () => {
    const first = activityCode('alpha', 'rewrite');
    const second = activityCode('beta', CONSTRUCTOR);
    assert.deepEqual(describeActivity(first, shareActivity(() => undefined).names), { plugin: 'alpha', kind: 'rewrite' });
    const learned: string[] = [];
    const { buffer, names } = shareActivity((name) => learned.push(name));
    assert.deepEqual(describeActivity(second, names), { plugin: 'beta', kind: 'constructor' });
    activityCode('gamma', 'log');
    assert.deepEqual(learned, ['gamma']);
    recordEntry(second, 12, 34);
    assert.equal(new Int32Array(buffer, 0, 4)[Slot.entered], second);
    assert.equal(new Float64Array(buffer, 16, 2)[FloatSlot.instanceId], 12);
    assert.equal(new Float64Array(buffer, 16, 2)[FloatSlot.eventId], 34);
    assert.deepEqual(describeActivity(-1, names), { plugin: undefined, kind: undefined });
  });
});
