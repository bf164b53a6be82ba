/**
 * `--max-live-events` (issue 16, item 6): events beyond the limit are not
 * started; they fail closed at once and are logged once per sweep with their
 * count. And the small cases of item 8 that the RPC layer answers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kong } from '../../pdk/kong.ts';
import { definePlugin } from '../../plugin/definition.ts';
import { Config, field } from '../../plugin/index.ts';
import { ServerDriver } from './driver.ts';

class Waiting extends Config({ x: field.string({ default: 'x' }) }) {
  async access(kong: Kong): Promise<void> {
    await kong.request.getHeader('host');
  }

  async log(kong: Kong): Promise<void> {
    await kong.request.getHeader('host');
  }
}

const waiting = definePlugin(Waiting, { name: 'waiting', version: '1.0.0', priority: 1 });
const waitingOpen = definePlugin(class WaitingOpen extends Waiting {}, { name: 'waiting-open', version: '1.0.0', priority: 1, failOpen: true });

describe('the live-event limit', () => {
  it('fails events beyond it closed at once, without starting them, and logs them once per sweep', async () => {
    const driver = new ServerDriver([waiting, waitingOpen], { maxLiveEvents: 5, sweepIntervalMs: 60_000 });
    try {
      const instance = driver.start('waiting');
      for (let i = 0; i < 5; i++) assert.equal((await driver.answer(driver.send('plugin.HandleEvent', { InstanceId: instance, EventName: 'access' }))).method, 'kong.request.get_header');
      assert.equal(driver.server.liveEvents, 5);
      const refused = await driver.answer(driver.send('plugin.HandleEvent', { InstanceId: instance, EventName: 'access' }));
      assert.deepEqual([refused.method, refused.args], ['kong.response.error', [500]]);
      // Where failing closed is impossible or not wanted, the refused event just ends.
      assert.equal((await driver.answer(driver.send('plugin.HandleEvent', { InstanceId: instance, EventName: 'log' }))).method, undefined);
      const open = driver.start('waiting-open');
      assert.equal((await driver.answer(driver.send('plugin.HandleEvent', { InstanceId: open, EventName: 'access' }))).method, undefined);
      assert.equal(driver.server.liveEvents, 5);
      driver.server.sweep(performance.now());
      const lines = driver.log.filter((entry) => entry['level'] === 'error');
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0]?.['count'], 3);
      assert.equal(lines[0]?.['maxLiveEvents'], 5);
      assert.match(String(lines[0]?.['msg']), /--max-live-events/);
      for (const answer of driver.answers) assert.equal(answer.error, null);
    } finally {
      driver.close();
    }
  });
});

describe('RPC arguments of the wrong shape (item 8)', () => {
  it('InstanceStatus and CloseInstance say what they expect instead of "No plugin instance [object Object]"', () => {
    const driver = new ServerDriver([waiting]);
    try {
      for (const method of ['plugin.InstanceStatus', 'plugin.CloseInstance']) {
        for (const arg of [{ Id: 1 }, 'abc', [1]]) {
          const [answer] = driver.answersTo(driver.send(method, arg));
          assert.match(String(answer?.error), new RegExp(`^${method.replace('.', '\\.')} expects an instance id \\(a number\\), got (a map|"abc"|an array|nil)$`));
        }
      }
      assert.equal(driver.answersTo(driver.send('plugin.InstanceStatus', 42))[0]?.error, 'No plugin instance 42');
    } finally {
      driver.close();
    }
  });
});
