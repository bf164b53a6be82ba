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
import { ownerSlot } from '../ids.ts';
import { isControlMessage, type InstanceRecord, type PrimaryMessage, type WorkerMessage } from './messages.ts';

/** Sends to one worker. */
export interface WorkerPort {
  send(message: PrimaryMessage): void;
}

/** A fetch relayed to an origin, waiting for its answer. */
interface Relay {
  readonly from: number;
  readonly seq: number;
}

/** Routes control messages between workers. */
export class Hub {
  readonly #ports = new Map<number, WorkerPort>();
  /** Relayed fetches by origin slot. */
  readonly #relays = new Map<number, Relay[]>();
  readonly #logger: Logger;
  /** Handles messages the hub does not route itself (the shared store). */
  readonly #other: ((slot: number, message: WorkerMessage) => void) | undefined;

  constructor(logger: Logger, other?: (slot: number, message: WorkerMessage) => void) {
    this.#logger = logger;
    this.#other = other;
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
  }

  /** A message from worker `slot`. */
  receive(slot: number, message: unknown): void {
    if (!isControlMessage(message)) return this.#drop(slot, message);
    const data = message as Partial<Record<string, unknown>>;
    switch (message.t) {
      case 'fetch': {
        const { seq, id } = data;
        if (!isCount(seq) || !isCount(id)) return this.#drop(slot, message);
        const origin = ownerSlot(id);
        const port = this.#ports.get(origin);
        if (origin === slot || port === undefined) return this.#send(slot, { t: 'fetched', seq, record: null });
        const relays = this.#relays.get(origin) ?? [];
        relays.push({ from: slot, seq });
        this.#relays.set(origin, relays);
        port.send({ t: 'fetch', seq, id, from: slot });
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
      default:
        if (this.#other === undefined) return this.#drop(slot, message);
        this.#other(slot, message as WorkerMessage);
    }
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
