/**
 * The pieces of `--workers N` that need no process: ids that name their
 * worker, the primary's message hub, and the merged GetStatus.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hub } from '../../server/cluster/hub.ts';
import type { PrimaryMessage } from '../../server/cluster/messages.ts';
import { mergeStatuses } from '../../server/cluster/worker-node.ts';
import { MAX_SLOTS, ownerSlot, SlotIdSource } from '../../server/rpc/ids.ts';
import { silentLogger } from '../../server/process/logger.ts';
import { hostSharedStore } from '../../server/shared/transport.ts';

function hubWith(slots: number[]): { hub: Hub; inbox: Map<number, PrimaryMessage[]> } {
  const hub = new Hub(silentLogger(), hostSharedStore());
  const inbox = new Map<number, PrimaryMessage[]>();
  for (const slot of slots) {
    const messages: PrimaryMessage[] = [];
    inbox.set(slot, messages);
    hub.attach(slot, { send: (message) => messages.push(message) });
  }
  return { hub, inbox };
}

const idOf = (serial: number, slot: number): number => serial * MAX_SLOTS + slot;

describe('slot ids', () => {
  it('name their worker, never repeat, and stay below 2^46', () => {
    for (const slot of [0, 1, 17, 63]) {
      const source = new SlotIdSource(slot);
      const ids = Array.from({ length: 1000 }, () => source.next());
      assert.equal(new Set(ids).size, 1000);
      for (const id of ids) {
        assert.equal(ownerSlot(id), slot);
        assert.ok(id > 0 && id < 2 ** 46 && Number.isSafeInteger(id));
      }
    }
    const wrapping = new SlotIdSource(5, 2 ** 40 - 2);
    const ids = [wrapping.next(), wrapping.next(), wrapping.next()];
    assert.deepEqual(ids.map(ownerSlot), [5, 5, 5]);
    assert.ok(ids.every((id) => id < 2 ** 46));
    assert.equal(new Set(ids).size, 3);
  });

  it('start at a random serial, so a respawned worker does not reuse its predecessor ids', () => {
    const firsts = Array.from({ length: 20 }, () => new SlotIdSource(3).next());
    assert.equal(new Set(firsts).size, 20);
  });

  it('refuse a slot outside 0..63', () => {
    for (const slot of [-1, 64, 1.5, Number.NaN]) assert.throws(() => new SlotIdSource(slot), RangeError);
  });
});

describe('hub', () => {
  it("relays a replica fetch to the instance's origin and its answer back", () => {
    const { hub, inbox } = hubWith([0, 1]);
    const id = idOf(1000, 0);
    hub.receive(1, { t: 'fetch', seq: 7, id, askedAt: 5 });
    assert.deepEqual(inbox.get(0), [{ t: 'fetch', seq: 7, id, from: 1, askedAt: 5 }]);
    const record = { name: 'probe', configJson: '{}', startTime: 5 };
    hub.receive(0, { t: 'fetched', seq: 7, to: 1, record });
    assert.deepEqual(inbox.get(1), [{ t: 'fetched', seq: 7, record }]);
    // A second answer for the same fetch is not relayed.
    hub.receive(0, { t: 'fetched', seq: 7, to: 1, record });
    assert.equal(inbox.get(1)?.length, 1);
  });

  it('answers null at once when the origin is gone, and fails relays waiting on a worker that exits', () => {
    const { hub, inbox } = hubWith([0, 1, 2]);
    hub.receive(1, { t: 'fetch', seq: 1, id: idOf(9, 5), askedAt: 0 });
    assert.deepEqual(inbox.get(1), [{ t: 'fetched', seq: 1, record: null }]);
    hub.receive(1, { t: 'fetch', seq: 2, id: idOf(9, 2), askedAt: 0 });
    hub.detach(2);
    assert.deepEqual(inbox.get(1)?.slice(1), [
      { t: 'fetched', seq: 2, record: null },
      { t: 'forget-slot', slot: 2 },
    ]);
    assert.deepEqual(inbox.get(0), [{ t: 'forget-slot', slot: 2 }]);
  });

  it('broadcasts a closed instance to every other worker', () => {
    const { hub, inbox } = hubWith([0, 1, 2]);
    hub.receive(1, { t: 'closed', id: 4242 });
    assert.deepEqual(inbox.get(0), [{ t: 'forget', id: 4242 }]);
    assert.deepEqual(inbox.get(1), []);
    assert.deepEqual(inbox.get(2), [{ t: 'forget', id: 4242 }]);
  });

  it('applies tspdk/shared operations in one store for all workers', () => {
    const { hub, inbox } = hubWith([0, 1]);
    hub.receive(0, { t: 'shared', seq: 1, request: { op: 'incr', key: 'k', by: 1 } });
    hub.receive(1, { t: 'shared', seq: 1, request: { op: 'incr', key: 'k', by: 2 } });
    hub.receive(1, { t: 'shared', seq: 2, request: { op: 'incr', key: 42 } });
    assert.deepEqual(inbox.get(0), [{ t: 'shared-result', seq: 1, result: { ok: true, value: 1 } }]);
    const [first, second] = inbox.get(1) ?? [];
    assert.deepEqual(first, { t: 'shared-result', seq: 1, result: { ok: true, value: 3 } });
    assert.equal(second?.t === 'shared-result' && !second.result.ok && second.result.code, 'SHARED_BAD_ARGUMENT');
  });

  it('gathers every worker status for GetStatus, and stops waiting for a worker that exits', () => {
    const { hub, inbox } = hubWith([0, 1, 2]);
    hub.receive(0, { t: 'status', seq: 3 });
    const query = inbox.get(0)?.[0];
    assert.ok(query?.t === 'status-query');
    assert.deepEqual(inbox.get(1), [query]);
    hub.receive(0, { t: 'status-part', gather: query.gather, status: { Worker: 0, Events: 1 } });
    hub.receive(1, { t: 'status-part', gather: query.gather, status: { Worker: 1, Events: 2 } });
    hub.detach(2);
    const answer = inbox.get(0)?.find((message) => message.t === 'statuses');
    assert.deepEqual(answer, { t: 'statuses', seq: 3, statuses: [{ Worker: 0, Events: 1 }, { Worker: 1, Events: 2 }] });
  });

  it('drops malformed messages from a worker without answering or throwing', () => {
    const { hub, inbox } = hubWith([0, 1]);
    const junk: unknown[] = [
      null,
      42,
      'fetch',
      [],
      { t: 'fetch' },
      { t: 'fetch', seq: -1, id: 5 },
      { t: 'fetch', seq: 1, id: '5' },
      { t: 'fetch', seq: 1, id: 5 },
      { t: 'fetch', seq: 1, id: 5, askedAt: '1' },
      { t: 'fetched', seq: 1, to: 0, record: { name: 1 } },
      { t: 'closed', id: 1.5 },
      { t: 'shared', seq: 'x', request: {} },
      { t: 'status-part', gather: 99, status: {} },
      { t: 'conn' },
      { t: '__proto__' },
      { t: 'nope' },
    ];
    for (const message of junk) hub.receive(1, message);
    assert.deepEqual(inbox.get(0), []);
    assert.deepEqual(inbox.get(1), []);
  });
});

describe('merged GetStatus', () => {
  it('sums events, lists each instance once and names the primary', () => {
    const instance = (id: number) => ({ Name: 'p', Id: id, Config: {}, StartTime: 1 });
    const merged = mergeStatuses(
      [
        { Pid: 11, Worker: 0, StartTime: 50, Plugins: ['p'], Instances: [instance(64), instance(129)], Events: 2, EventsStarted: 10 },
        { Pid: 12, Worker: 1, StartTime: 40, Plugins: ['p'], Instances: [instance(129)], Events: 1, EventsStarted: 5 },
      ],
      10,
    );
    assert.deepEqual(merged, {
      Pid: 10,
      StartTime: 40,
      Plugins: ['p'],
      Instances: [instance(64), instance(129)],
      Events: 3,
      EventsStarted: 15,
      Workers: [
        { Worker: 0, Pid: 11, Instances: 2, Events: 2, EventsStarted: 10 },
        { Worker: 1, Pid: 12, Instances: 1, Events: 1, EventsStarted: 5 },
      ],
    });
  });
});
