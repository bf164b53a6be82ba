/**
 * A HandleEvent that reaches one worker just before Kong's CloseInstance of
 * the same instance reaches the instance's origin worker: the event must run
 * to its end, as it does in one process (docs/multicore.md). The copy the
 * receiving worker asks the origin for is held back here until the origin
 * has handled the close, which is the order that made the `--workers 2` run
 * of conformance/instances.test.ts fail now and then.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Config, field, type Kong } from '../../plugin/index.ts';
import { definePlugin } from '../../plugin/definition.ts';
import { silentLogger } from '../../server/process/logger.ts';
import { ClosedInstances } from '../../server/rpc/closed-instances.ts';
import type { InstanceRecord } from '../../server/rpc/instance.ts';
import { SlotIdSource } from '../../server/rpc/ids.ts';
import { PluginServer, type ClusterPeers } from '../../server/rpc/plugin-server.ts';
import type { Replier } from '../../server/rpc/event.ts';

class Marker extends Config({ tag: field.string({ default: 'x' }) }) {
  async access(kong: Kong): Promise<void> {
    await kong.response.setHeader('x-tag', this.tag);
  }
}
const marker = definePlugin(Marker, { name: 'marker', version: '1.0.0', priority: 1 });

interface Answer {
  readonly error: string | null;
  readonly result: unknown;
}

/** A replier that keeps every answer. */
function collector(): { replier: Replier; answers: Answer[] } {
  const answers: Answer[] = [];
  return {
    answers,
    replier: {
      reply(_msgid, error, result) {
        answers.push({ error, result });
        return true;
      },
    },
  };
}

/** Two workers' servers whose fetches wait for `release` before the origin answers. */
function twoWorkers() {
  const held: Array<() => void> = [];
  const peers = (slot: number, fetch: ClusterPeers['fetchInstance']): ClusterPeers => ({
    slot,
    fetchInstance: fetch,
    instanceClosed: () => undefined,
    serverStatus: () => Promise.resolve({}),
  });
  const origin = new PluginServer([marker], {
    logger: silentLogger(),
    ids: { instances: new SlotIdSource(0), events: new SlotIdSource(0) },
    cluster: peers(0, () => Promise.resolve(undefined)),
  });
  const sibling = new PluginServer([marker], {
    logger: silentLogger(),
    ids: { instances: new SlotIdSource(1), events: new SlotIdSource(1) },
    cluster: peers(1, (id, askedAt) => new Promise<InstanceRecord | undefined>((resolve) => held.push(() => resolve(origin.instanceRecord(id, askedAt))))),
  });
  const release = (): void => {
    for (const answer of held.splice(0)) answer();
  };
  return { origin, sibling, release, close: () => [origin, sibling].forEach((server) => server.close()) };
}

const turns = async (n = 20): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('an instance closed while a sibling fetches it', () => {
  it('still runs the event the sibling received before the close, and keeps no copy there', async () => {
    const { origin, sibling, release, close } = twoWorkers();
    try {
      const kong = collector();
      origin.handle(kong.replier, 1, 'plugin.StartInstance', [{ Name: 'marker', Config: '{"tag":"before-close"}' }]);
      const id = (kong.answers.pop()?.result as { Id: number }).Id;

      const events = collector();
      sibling.handle(events.replier, 2, 'plugin.HandleEvent', [{ InstanceId: id, EventName: 'access' }]);
      await turns(2);
      origin.handle(kong.replier, 3, 'plugin.CloseInstance', [id]);
      assert.equal(kong.answers.pop()?.error, null);
      release();
      await turns();

      const [step] = events.answers;
      assert.equal(step?.error, null, `the event failed: ${String(step?.error)}`);
      assert.deepEqual((step?.result as { Data: unknown }).Data, { Method: 'kong.response.set_header', Args: ['x-tag', 'before-close'] });
      assert.equal(sibling.liveInstances, 0, 'the sibling kept a copy of a closed instance');

      // A request received after the close finds no instance, as in one process.
      const later = collector();
      sibling.handle(later.replier, 4, 'plugin.HandleEvent', [{ InstanceId: id, EventName: 'access' }]);
      await turns(2);
      release();
      await turns();
      assert.equal(later.answers[0]?.error, `No plugin instance ${id}`);
    } finally {
      close();
    }
  });

  it('keeps a closed record only for requests received before the close, and only for a while', () => {
    const closed = new ClosedInstances();
    const record = { name: 'marker', configJson: '{}', startTime: 1 };
    closed.remember(7, record, 1000);
    assert.deepEqual(closed.recordFor(7, 999.5), { ...record, closed: true });
    assert.equal(closed.recordFor(7, 1000), undefined);
    assert.equal(closed.recordFor(8, 0), undefined);
    closed.prune(1000 + 29_000);
    assert.equal(closed.size, 1);
    closed.prune(1000 + 31_000);
    assert.equal(closed.size, 0);
  });
});
