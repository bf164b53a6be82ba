/**
 * Every failure of a phase, whatever was thrown, rejected or returned, ends
 * its event fail-closed (kong.log.err, then kong.response.error(500)), frees
 * it, and never answers HandleEvent or a Step with an error or twice (issue
 * 16, item 1). Abandoned events reject their pending call (issue 15, item 4);
 * `response` fails closed too (item 5).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';
import { describeFailure, failureDetails } from '../../pdk/failure.ts';
import type { Kong } from '../../pdk/kong.ts';
import { definePlugin } from '../../plugin/definition.ts';
import { Config, field } from '../../plugin/index.ts';
import { ServerDriver, sleep } from './driver.ts';

/** A Proxy that throws from every trap, and whose traps are found through a Proxy that throws too. */
function hostileProxy(): object {
  const handler = new Proxy({}, { get: () => () => { throw new Error('trap'); } });
  return new Proxy({}, handler);
}

function messageGetterThrows(): Error {
  const error = new Error('hidden');
  Object.defineProperty(error, 'message', { get() { throw Object.create(null); } });
  return error;
}

/** What each mode throws, rejects with, or returns. */
const VALUES: Record<string, () => unknown> = {
  nullProto: () => Object.create(null) as unknown,
  proxy: hostileProxy,
  symbol: () => Symbol('boom'),
  undefined: () => undefined,
  messageGetter: messageGetterThrows,
  string: () => 'plain words',
};

const seen: unknown[] = [];

class Odd extends Config({ mode: field.string({ default: 'throw:nullProto' }) }) {
  access(kong: Kong): unknown {
    const [how = '', what = ''] = this.mode.split(':');
    const value = (): unknown => (VALUES[what] ?? (() => what))();
    switch (how) {
      case 'throw':
        throw value();
      case 'reject':
        return (async () => {
          await kong.request.getHeader('host');
          throw value();
        })();
      case 'thenThrows':
        return { then: () => { throw value(); } };
      case 'thenTwice':
        return { then: (ok: () => void, fail: (e: unknown) => void) => { ok(); fail(value()); throw value(); } };
      case 'thenGetter':
        return Object.defineProperty({}, 'then', { get() { throw value(); } });
      case 'proxyResult':
        return hostileProxy();
      case 'badArg':
        return (async () => {
          try {
            await kong.ctx.shared.set('k', { nested: hostileProxy() } as never);
          } catch (error) {
            seen.push(error);
          }
          await kong.response.setHeader('x-after', 'yes');
        })();
      default:
        return undefined;
    }
  }

  response(kong: Kong): Promise<void> {
    return kong.response.getStatus().then(() => {
      throw new Error('filter broke');
    });
  }
}

const odd = definePlugin(Odd, { name: 'odd', version: '1.0.0', priority: 1 });
const oddOpen = definePlugin(class OddOpen extends Odd {}, { name: 'odd-open', version: '1.0.0', priority: 1, failOpen: true });

/** Runs one event of `mode` to its end; returns the PDK calls the server sent. */
async function runEvent(driver: ServerDriver, instance: number, phase = 'access'): Promise<Array<{ method: string | undefined; args: readonly unknown[] }>> {
  let msgid = driver.send('plugin.HandleEvent', { InstanceId: instance, EventName: phase });
  const calls: Array<{ method: string | undefined; args: readonly unknown[] }> = [];
  for (let i = 0; i < 10; i++) {
    const call = await driver.answer(msgid);
    calls.push({ method: call.method, args: call.args });
    if (call.method === undefined || call.method === 'kong.response.error' || call.method === 'kong.response.exit') break;
    const data = call.method === 'kong.response.get_status' ? 200 : call.method === 'kong.request.get_header' ? 'example.com' : undefined;
    msgid = driver.send('plugin.Step', { EventId: call.eventId, Data: data });
  }
  return calls;
}

describe('describeFailure', () => {
  it('describes anything without throwing', () => {
    for (const make of Object.values(VALUES)) {
      const value = make();
      assert.equal(typeof describeFailure(value), 'string');
      const details = failureDetails(value);
      assert.equal(typeof details.message, 'string');
      assert.equal(typeof details.type, 'string');
    }
    assert.equal(describeFailure(new Error('kaboom')), 'kaboom');
    assert.equal(describeFailure(new TypeError('')), 'TypeError');
    assert.equal(describeFailure(Symbol('boom')), 'Symbol(boom)');
    assert.equal(describeFailure(undefined), 'undefined');
    assert.equal(describeFailure({ message: 'from a plain object' }), 'from a plain object');
    assert.match(describeFailure(Object.create(null)), /null prototype/);
    assert.ok(describeFailure('x'.repeat(10_000)).length < 2100);
    const custom = { toString() { throw new Error('no'); }, [Symbol.for('nodejs.util.inspect.custom')]: () => { throw new Error('no'); } };
    assert.equal(typeof describeFailure(custom), 'string');
  });
});

describe('a phase that fails with anything', () => {
  const cases = [
    ...Object.keys(VALUES).flatMap((what) => [`throw:${what}`, `reject:${what}`, `thenThrows:${what}`, `thenGetter:${what}`]),
    'thenTwice:nullProto',
    'proxyResult:',
  ];
  for (const mode of cases) {
    it(`${mode}: logs through kong.log.err, ends with 500, frees the event, answers every request once and without error`, async () => {
      const driver = new ServerDriver([odd], { eventTimeoutMs: 60, sweepIntervalMs: 10 });
      try {
        const instance = driver.start('odd', { mode });
        const calls = await runEvent(driver, instance);
        const methods = calls.map((call) => call.method);
        if (mode.startsWith('thenTwice')) {
          // `then` called its first callback: the phase returned, whatever followed.
          assert.deepEqual(methods, [undefined]);
        } else {
          assert.deepEqual(methods.slice(-2), ['kong.log.err', 'kong.response.error'], `calls: ${JSON.stringify(methods)}`);
          assert.match(String(calls.at(-2)?.args[0]), /^\[tspdk\] plugin odd failed in access, request ends with 500: ./);
          assert.deepEqual(calls.at(-1)?.args, [500]);
        }
        assert.equal(driver.server.liveEvents, 0);
        // Past the event timeout, the sweep finds nothing to answer again.
        await sleep(120);
        for (const answer of driver.answers) assert.equal(answer.error, null, `msgid ${answer.msgid} answered with ${answer.error}`);
        const msgids = driver.answers.map((answer) => answer.msgid);
        assert.equal(new Set(msgids).size, msgids.length, 'a msgid was answered twice');
      } finally {
        driver.close();
      }
    });
  }

  it('a PDK argument whose reading throws rejects that call with PDK_BAD_ARGUMENT; the event goes on', async () => {
    seen.length = 0;
    const driver = new ServerDriver([odd]);
    try {
      const calls = await runEvent(driver, driver.start('odd', { mode: 'badArg:' }));
      assert.deepEqual(calls.map((call) => call.method), ['kong.response.set_header', undefined]);
      assert.ok(seen[0] instanceof PdkError && seen[0].code === ErrorCodes.BadArgument, String(seen[0]));
    } finally {
      driver.close();
    }
  });

  it('the server log has the failure as strings, never the thrown value itself', async () => {
    const driver = new ServerDriver([odd]);
    try {
      await runEvent(driver, driver.start('odd', { mode: 'throw:proxy' }));
      const line = driver.log.find((entry) => entry['msg'] === 'plugin phase failed');
      const err = line?.['err'] as { type: string; message: string };
      assert.equal(err.type, 'object');
      assert.equal(typeof err.message, 'string');
    } finally {
      driver.close();
    }
  });
});

let constructorMode = 'fine';

class Constructors extends Config({ x: field.integer({ default: 1 }) }) {
  constructor() {
    super();
    // `definePlugin` builds one object to read the fields: it must work then.
    if (constructorMode === 'proxy') return hostileProxy() as Constructors;
    if (constructorMode === 'frozen') return Object.freeze(this);
    if (constructorMode === 'nullProto') throw Object.create(null);
  }
  access(): void {}
}

class PhaseGetter extends Config({ x: field.string({ default: 'x' }) }) {
  /** A function when `definePlugin` looks at the prototype; a throw on the instance. */
  get access(): () => void {
    if (this === PhaseGetter.prototype) return () => undefined;
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the test
    throw hostileProxy();
  }
}

describe('plugin classes that misbehave outside their phases', () => {
  const expected: Record<string, RegExp> = {
    nullProto: /invalid config: the plugin's constructor threw: \[Object: null prototype\] \{\}/,
    frozen: /invalid config: the plugin object does not take its config fields: Cannot define property x, object is not extensible/,
    proxy: /invalid config: the plugin object does not take its config fields: trap/,
  };
  for (const [mode, message] of Object.entries(expected)) {
    it(`a constructor (${mode}) never fails StartInstance; the events fail closed and say why`, async () => {
      constructorMode = 'fine';
      const driver = new ServerDriver([definePlugin(Constructors, { name: 'ctor', version: '1.0.0', priority: 1 })]);
      constructorMode = mode;
      try {
        const calls = await runEvent(driver, driver.start('ctor', { x: 2 }));
        assert.deepEqual(calls.map((call) => call.method), ['kong.log.err', 'kong.response.error']);
        assert.match(String(calls[0]?.args[0]), message);
      } finally {
        driver.close();
      }
    });
  }

  it('a phase found through a throwing getter fails that event closed', async () => {
    const driver = new ServerDriver([definePlugin(PhaseGetter, { name: 'getter', version: '1.0.0', priority: 1 })]);
    try {
      const calls = await runEvent(driver, driver.start('getter'));
      assert.deepEqual(calls.map((call) => call.method), ['kong.log.err', 'kong.response.error']);
      for (const answer of driver.answers) assert.equal(answer.error, null);
    } finally {
      driver.close();
    }
  });
});

describe('the response phase', () => {
  it('fails closed: kong.log.err, then kong.response.error(500), so the unfiltered response never reaches the client', async () => {
    const driver = new ServerDriver([odd]);
    try {
      const calls = await runEvent(driver, driver.start('odd'), 'response');
      assert.deepEqual(calls.map((call) => call.method), ['kong.response.get_status', 'kong.log.err', 'kong.response.error']);
      assert.match(String(calls[1]?.args[0]), /failed in response, request ends with 500: filter broke/);
    } finally {
      driver.close();
    }
  });

  it('lets the response through when the plugin is failOpen', async () => {
    const driver = new ServerDriver([oddOpen]);
    try {
      const calls = await runEvent(driver, driver.start('odd-open'), 'response');
      assert.deepEqual(calls.map((call) => call.method), ['kong.response.get_status', 'kong.log.err', undefined]);
    } finally {
      driver.close();
    }
  });
});

const outcomes: unknown[] = [];

class Patient extends Config({ x: field.string({ default: 'x' }) }) {
  async access(kong: Kong): Promise<void> {
    const first = kong.request.getHeader('host');
    // Queued behind the first call (Kong takes one call per Step).
    kong.response.setHeader('x-queued', 'behind').catch((error: unknown) => outcomes.push(error));
    try {
      await first;
      outcomes.push('resumed');
    } catch (error) {
      outcomes.push(error);
    } finally {
      outcomes.push('finally');
    }
    try {
      await kong.request.getHeader('after');
    } catch (error) {
      outcomes.push(error);
    }
  }
}

describe('an event Kong abandons (no Step after a Lua error on its side)', () => {
  it('rejects the pending call with PDK_EVENT_ABANDONED, so catch and finally run, then frees the event', async () => {
    outcomes.length = 0;
    const driver = new ServerDriver([definePlugin(Patient, { name: 'patient', version: '1.0.0', priority: 1 })], { abandonAfterMs: 100, sweepIntervalMs: 20 });
    try {
      const instance = driver.start('patient');
      const msgid = driver.send('plugin.HandleEvent', { InstanceId: instance, EventName: 'access' });
      assert.equal((await driver.answer(msgid)).method, 'kong.request.get_header');
      for (let i = 0; i < 100 && !outcomes.includes('finally'); i++) await sleep(10);
      const rejected = outcomes[0];
      assert.ok(rejected instanceof PdkError, String(rejected));
      assert.equal(rejected.code, ErrorCodes.EventAbandoned);
      assert.equal(rejected.method, 'kong.request.get_header');
      assert.match(rejected.message, /Kong sent no answer in \d+ ms.*Lua error on Kong's side.*error\.log/);
      assert.ok(outcomes.includes('finally'));
      await sleep(10);
      const ended = outcomes.filter((outcome) => outcome instanceof PdkError && outcome.code === ErrorCodes.EventEnded);
      assert.equal(ended.length, 2, 'the queued call and the call made after the rejection both end with PDK_EVENT_ENDED');
      assert.equal(driver.server.liveEvents, 0);
    } finally {
      driver.close();
    }
  });

  it('logs one line per sweep with the count, not one per event', async () => {
    outcomes.length = 0;
    const driver = new ServerDriver([definePlugin(Patient, { name: 'patient', version: '1.0.0', priority: 1 })], { abandonAfterMs: 100, sweepIntervalMs: 1000 });
    try {
      const instance = driver.start('patient');
      const msgids = Array.from({ length: 50 }, () => driver.send('plugin.HandleEvent', { InstanceId: instance, EventName: 'access' }));
      for (const msgid of msgids) await driver.answer(msgid);
      await sleep(150);
      driver.server.sweep(performance.now());
      assert.equal(driver.server.liveEvents, 0);
      const lines = driver.log.filter((entry) => entry['level'] === 'warn');
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0]?.['count'], 50);
      assert.deepEqual(lines[0]?.['phases'], { 'patient/access': 50 });
    } finally {
      driver.close();
    }
  });

  it('summarises the events that timed out in one line per sweep too', async () => {
    class Stuck {
      access(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    const driver = new ServerDriver([definePlugin(Stuck, { name: 'stuck', version: '1.0.0', priority: 1 })], {
      eventTimeoutMs: 50,
      sweepIntervalMs: 1000,
    });
    try {
      const instance = driver.start('stuck');
      for (let i = 0; i < 30; i++) driver.send('plugin.HandleEvent', { InstanceId: instance, EventName: 'access' });
      await sleep(80);
      driver.server.sweep(performance.now());
      const lines = driver.log.filter((entry) => entry['level'] === 'error');
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0]?.['count'], 30);
    } finally {
      driver.close();
    }
  });
});
