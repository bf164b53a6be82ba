/**
 * PDK results are shaped by the event itself (Bridge.callShaped): what Kong
 * sends is converted before the plugin's await resumes, and a value of the
 * wrong type rejects that one call, not the event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';
import { Config, field, type Kong } from '../../plugin/index.ts';
import { silentLogger } from '../../server/process/logger.ts';
import { definePlugin } from '../../plugin/definition.ts';
import { PluginServer } from '../../server/rpc/plugin-server.ts';
import type { Replier } from '../../server/rpc/event.ts';

const seen: unknown[] = [];

class Shapes extends Config({ tag: field.string({ default: 'x' }) }) {
  async access(kong: Kong): Promise<void> {
    seen.push(await kong.request.getHeader('a'));
    seen.push(await kong.request.getHeaders());
    try {
      await kong.request.getHeader('b');
    } catch (error) {
      seen.push(error);
    }
    await kong.response.setHeader('x-after', 'still running');
  }
}

interface Sent {
  readonly eventId: number;
  readonly method: string | undefined;
}

describe('results of PDK calls on the server', () => {
  it('are converted before the plugin resumes, and a wrong type rejects only that call', async () => {
    const sent: Sent[] = [];
    const results: unknown[] = [];
    const replier: Replier = {
      reply(_msgid, error, result) {
        assert.equal(error, null);
        results.push(result);
        return true;
      },
      replyStep(_msgid, eventId, method) {
        sent.push({ eventId, method });
        return true;
      },
    };
    const server = new PluginServer([definePlugin(Shapes, { name: 'shapes', version: '1.0.0', priority: 1 })], { logger: silentLogger() });
    server.handle(replier, 1, 'plugin.StartInstance', [{ Name: 'shapes', Config: '{}' }]);
    const instanceId = (results.pop() as { Id: number }).Id;
    const next = async (): Promise<Sent> => {
      for (let i = 0; i < 100 && sent.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
      return sent.shift() as Sent;
    };
    server.handle(replier, 2, 'plugin.HandleEvent', [{ InstanceId: instanceId, EventName: 'access' }]);
    const first = await next();
    assert.equal(first.method, 'kong.request.get_header');
    // Kong 2.x sends header values as str; invalid UTF-8 arrives as bytes.
    server.handle(replier, 3, 'plugin.Step', [{ EventId: first.eventId, Data: Uint8Array.from([0x68, 0x69]) }]);
    assert.equal((await next()).method, 'kong.request.get_headers');
    server.handle(replier, 4, 'plugin.StepMultiMap', [{ EventId: first.eventId, Data: { a: 'one', b: ['1', true] } }]);
    assert.equal((await next()).method, 'kong.request.get_header');
    server.handle(replier, 5, 'plugin.Step', [{ EventId: first.eventId, Data: { not: 'a string' } }]);
    assert.equal((await next()).method, 'kong.response.set_header');
    server.handle(replier, 6, 'plugin.Step', [{ EventId: first.eventId }]);
    assert.deepEqual(await next(), { eventId: first.eventId, method: undefined });
    assert.equal(seen[0], 'hi');
    assert.deepEqual(seen[1], { a: ['one'], b: ['1', ''] });
    assert.ok(seen[2] instanceof PdkError && seen[2].code === ErrorCodes.BadResult, String(seen[2]));
    assert.equal(server.liveEvents, 0);
    server.close();
  });
});
