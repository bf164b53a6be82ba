/**
 * Config goes through the plugin's schema as at StartInstance: defaults,
 * Kong's messages, unknown keys ignored; and a class's config is typed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Config, field, type Kong } from 'tspdk';
import { checkConfig, PluginConfigError, PluginInstance, runPlugin } from 'tspdk/testing';

class Limits extends Config({
  limit: field.integer({ required: true, between: [1, 100] }),
  mode: field.string({ one_of: ['soft', 'hard'], default: 'soft' }),
  nested: field.record({ depth: field.integer({ default: 3 }), name: field.string() }),
}) {
  async access(kong: Kong): Promise<void> {
    await kong.response.setHeader('x-config', JSON.stringify({ limit: this.limit, mode: this.mode, nested: this.nested }));
  }
}

describe('config', () => {
  it('applies defaults, nested ones too, before the plugin sees it', async () => {
    const { response } = await runPlugin(Limits, { limit: 5, nested: { name: 'n' } });
    assert.deepEqual(JSON.parse(response.header('x-config') ?? ''), { limit: 5, mode: 'soft', nested: { depth: 3, name: 'n' } });
    assert.deepEqual(new PluginInstance(Limits, { limit: 1 }).config, { limit: 1, mode: 'soft' }, 'an optional record left out stays out');
  });

  it('rejects an invalid config with Kong\'s messages, and checkConfig lists them without running', async () => {
    await assert.rejects(runPlugin(Limits, { limit: 500 }), (error: unknown) => {
      assert.ok(error instanceof PluginConfigError);
      assert.deepEqual(error.problems, ['config.limit: value should be between 1 and 100']);
      return true;
    });
    assert.deepEqual(checkConfig(Limits, { mode: 'x' }).errors, ['config.limit: required field missing', 'config.mode: expected one of: soft, hard']);
    assert.deepEqual(checkConfig(Limits, { limit: 2, surprise: 1 }).errors, ['config.surprise: unknown field']);
  });

  it('ignores unknown keys when running, as the plugin server does', async () => {
    const config = { limit: 2, surprise: true } as { limit: number };
    const { response } = await runPlugin(Limits, config);
    assert.equal(response.status, 200);
  });

  it('types a class\'s config: a misspelled field or a wrong value does not compile', () => {
    const typed = (): unknown[] => [
      // @ts-expect-error misspelled field
      runPlugin(Limits, { limt: 5 }),
      // @ts-expect-error not one of the literals
      runPlugin(Limits, { limit: 5, mode: 'medium' }),
      // @ts-expect-error a string for an integer
      new PluginInstance(Limits, { limit: '5' }),
    ];
    assert.equal(typeof typed, 'function');
  });
});
