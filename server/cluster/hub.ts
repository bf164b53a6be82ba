/**
 * The primary's side of the control channel (`--workers N`): relays replica
 * fetches to an instance's origin worker, broadcasts closed instances and
 * exited workers. Transport-agnostic: the primary attaches each worker's
 * port (a child process's IPC channel; in tests, an in-memory queue).
 *
 * Messages come from worker processes that run plugin code, which can reach
 * `process.send`: everything is checked, and a malformed message is dropped.
 *
 * @module
 */
import type { Logger } from 'pino';
import { ownerSlot } from '../rpc/ids.ts';
import type { SharedStoreHost } from '../shared/transport.ts';
import type { InstanceRecord } from '../rpc/instance.ts';
import { isControlMessage, type PrimaryMessage } from './messages.ts';

/** Sends to one worker. */
interface WorkerPort {
  send(message: PrimaryMessage): void;
}

/** A fetch relayed to an origin, waiting for its answer. */
interface Relay {
  readonly from: number;
  readonly seq: number;
}

/** A status request waiting for every worker's part. */
interface Gathering {
  /** The worker that asked, if one did (it gets `statuses` when the gathering ends). */
  readonly from: number | undefined;
  readonly done: (statuses: Array<Record<string, unknown>>) => void;
  readonly waiting: Set<number>;
  readonly parts: Array<Record<string, unknown>>;
  readonly timer: NodeJS.Timeout;
}

/** How long a status gathering waits for slow workers. */
const GATHER_MS = 1000;

/** Routes control messages between workers. */
export class Hub {
  readonly #gatherings = new Map<number, Gathering>();
  #gatherSeq = 0;
  readonly #ports = new Map<number, WorkerPort>();
  /** Relayed fetches by origin slot. */
  readonly #relays = new Map<number, Relay[]>();
  readonly #logger: Logger;
  /** The store of `tspdk/shared`, when this hub serves it. */
  readonly #shared: SharedStoreHost | undefined;

  constructor(logger: Logger, shared?: SharedStoreHost) {
    this.#logger = logger;
    this.#shared = shared;
  }

  /** Slots of the workers attached now. */
  get slots(): number[] {
    return [...this.#ports.keys()];
  }

  /** Worker `slot` is ready. */
  attach(slot: number, port: WorkerPort): void {
    this.#ports.set(slot, port);
  }

  /** Worker `slot` exited: its instances are forgotten everywhere and fetches waiting on it fail. */
  detach(slot: number): void {
    if (!this.#ports.delete(slot)) return;
    for (const relay of this.#relays.get(slot) ?? []) this.#send(relay.from, { t: 'fetched', seq: relay.seq, record: null });
    this.#relays.delete(slot);
    for (const [origin, relays] of this.#relays) {
      this.#relays.set(
        origin,
        relays.filter((relay) => relay.from !== slot),
      );
    }
    this.#broadcast({ t: 'forget-slot', slot }, slot);
    for (const [id, gathering] of this.#gatherings) {
      gathering.waiting.delete(slot);
      if (gathering.waiting.size === 0) this.#endGathering(id);
    }
  }

  /** A message from worker `slot`. */
  receive(slot: number, message: unknown): void {
    if (!isControlMessage(message)) return this.#drop(slot, message);
    const data = message as Partial<Record<string, unknown>>;
    switch (message.t) {
      case 'fetch': {
        const { seq, id, askedAt } = data;
        if (!isCount(seq) || !isCount(id) || typeof askedAt !== 'number') return this.#drop(slot, message);
        const origin = ownerSlot(id);
        const port = this.#ports.get(origin);
        if (origin === slot || port === undefined) return this.#send(slot, { t: 'fetched', seq, record: null });
        const relays = this.#relays.get(origin) ?? [];
        relays.push({ from: slot, seq });
        this.#relays.set(origin, relays);
        port.send({ t: 'fetch', seq, id, from: slot, askedAt });
        return;
      }
      case 'fetched': {
        const { seq, to, record } = data;
        if (!isCount(seq) || !isCount(to) || !(record === null || isRecord(record))) return this.#drop(slot, message);
        const relays = this.#relays.get(slot) ?? [];
        const index = relays.findIndex((relay) => relay.from === to && relay.seq === seq);
        if (index < 0) return;
        relays.splice(index, 1);
        this.#send(to, { t: 'fetched', seq, record });
        return;
      }
      case 'closed': {
        const { id } = data;
        if (!isCount(id)) return this.#drop(slot, message);
        this.#broadcast({ t: 'forget', id }, slot);
        return;
      }
      case 'shared': {
        const { seq, request } = data;
        if (!isCount(seq) || this.#shared === undefined) return this.#drop(slot, message);
        // apply() checks the request itself and never throws.
        this.#send(slot, { t: 'shared-result', seq, result: this.#shared.apply(request) });
        return;
      }
      case 'status': {
        const { seq } = data;
        if (!isCount(seq)) return this.#drop(slot, message);
        this.#gather(slot, (statuses) => this.#send(slot, { t: 'statuses', seq, statuses }));
        return;
      }
      case 'status-part': {
        const { gather, status } = data;
        if (!isCount(gather) || typeof status !== 'object' || status === null) return this.#drop(slot, message);
        const gathering = this.#gatherings.get(gather);
        if (gathering === undefined || !gathering.waiting.delete(slot)) return;
        gathering.parts.push(status as Record<string, unknown>);
        if (gathering.waiting.size === 0) this.#endGathering(gather);
        return;
      }
      case 'ready':
      case 'conn-closed':
        // Connection bookkeeping: the process primary handles these itself.
        return;
      default:
        return this.#drop(slot, message);
    }
  }

  /** Every attached worker's status (`plugin.GetStatus` part); a worker that does not answer within a second is left out. */
  gatherStatuses(): Promise<Array<Record<string, unknown>>> {
    return new Promise((resolve) => this.#gather(undefined, resolve));
  }

  #gather(from: number | undefined, done: (statuses: Array<Record<string, unknown>>) => void): void {
    const id = ++this.#gatherSeq;
    const waiting = new Set(this.#ports.keys());
    const timer = setTimeout(() => this.#endGathering(id), GATHER_MS);
    timer.unref();
    this.#gatherings.set(id, { from, done, waiting, parts: [], timer });
    if (waiting.size === 0) return this.#endGathering(id);
    for (const port of this.#ports.values()) port.send({ t: 'status-query', gather: id });
  }

  #endGathering(id: number): void {
    const gathering = this.#gatherings.get(id);
    if (gathering === undefined) return;
    this.#gatherings.delete(id);
    clearTimeout(gathering.timer);
    gathering.done(gathering.parts);
  }

  /** Sends to worker `slot` if it is attached. */
  send(slot: number, message: PrimaryMessage): void {
    this.#send(slot, message);
  }

  #send(slot: number, message: PrimaryMessage): void {
    this.#ports.get(slot)?.send(message);
  }

  #broadcast(message: PrimaryMessage, except: number): void {
    for (const [slot, port] of this.#ports) if (slot !== except) port.send(message);
  }

  #drop(slot: number, message: unknown): void {
    this.#logger.warn({ worker: slot, type: isControlMessage(message) ? message.t : typeof message }, 'malformed control message from a worker; dropped');
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is InstanceRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Partial<Record<keyof InstanceRecord, unknown>>;
  return typeof record.name === 'string' && typeof record.startTime === 'number';
}
