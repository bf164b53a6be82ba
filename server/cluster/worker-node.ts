/**
 * One worker of a multi-process plugin server (`--workers N`), independent
 * of how it is connected to its primary: a {@link PluginServer} whose ids
 * carry this worker's slot, the connections the primary hands over, a
 * private peer socket on which siblings forward the Steps of this worker's
 * events, and the control-channel requests (replica fetches, forgets).
 *
 * @module
 */
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Connection } from '../wire/connection.ts';
import { SlotIdSource } from '../rpc/ids.ts';
import { listenUnix } from '../wire/listener.ts';
import { PluginServer, type PluginServerOptions } from '../rpc/plugin-server.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import { SharedErrorCodes, type SharedRequest, type SharedResult } from '../shared/store.ts';
import type { SharedTransport } from '../shared/transport.ts';
import { StepForwarder } from './forwarder.ts';
import type { InstanceRecord } from '../rpc/instance.ts';
import { isControlMessage, type PrimaryMessage, type WorkerMessage } from './messages.ts';

/** Sends to the primary. */
interface ControlPort {
  send(message: WorkerMessage): void;
}

/** Options of {@link WorkerNode.start}. */
interface WorkerNodeOptions extends Omit<PluginServerOptions, 'ids' | 'cluster'> {
  readonly slot: number;
  /** How many workers the server has (slots 0 … workers-1). */
  readonly workers: number;
  readonly plugins: readonly PluginDefinition[];
  readonly control: ControlPort;
  /** The private directory of the peer sockets (one per worker, `<slot>.sock`). */
  readonly peerDirectory: string;
  /** Send `[2,"serverPid",pid]` on each connection from Kong. Defaults to `true`. */
  readonly announcePid?: boolean;
  /** The pid to announce: the primary's, so that Kong sees one server. */
  readonly pid?: number;
  readonly maxMessageBytes?: number;
  /** Decoding limits of the connections (see server/wire/framer.ts); the defaults of ServerSettings when left out. */
  readonly maxMapEntries?: number;
  readonly maxArrayEntries?: number;
  readonly maxNesting?: number;
  /** How long a replica fetch may take before the instance counts as unknown. Defaults to 5,000 ms. */
  readonly fetchTimeoutMs?: number;
  /** How long a `tspdk/shared` operation may wait for the primary. Defaults to 5,000 ms. */
  readonly sharedTimeoutMs?: number;
}

/** The peer socket of worker `slot`. */
function peerSocketPath(directory: string, slot: number): string {
  return join(directory, `${slot}.sock`);
}

/** A worker: serves the connections its primary hands over. */
export class WorkerNode {
  readonly server: PluginServer;
  readonly forwarder: StepForwarder;
  readonly slot: number;
  readonly #options: WorkerNodeOptions;
  readonly #logger: Logger;
  readonly #sockets = new Set<Socket>();
  readonly #fetches = new Map<number, (record: InstanceRecord | undefined) => void>();
  readonly #sharedCalls = new Map<number, (result: SharedResult) => void>();
  readonly #statusCalls = new Map<number, (statuses: ReadonlyArray<Record<string, unknown>>) => void>();
  #peers: Server | undefined;
  #seq = 0;
  #kongConnections = 0;

  private constructor(options: WorkerNodeOptions) {
    this.#options = options;
    this.slot = options.slot;
    this.#logger = options.logger;
    this.server = new PluginServer(options.plugins, {
      ...options,
      ids: { instances: new SlotIdSource(options.slot), events: new SlotIdSource(options.slot) },
      cluster: {
        slot: options.slot,
        fetchInstance: (id, askedAt) => this.#fetch(id, askedAt),
        instanceClosed: (id) => options.control.send({ t: 'closed', id }),
        serverStatus: () => this.#serverStatus(),
      },
    });
    this.forwarder = new StepForwarder(options.slot, options.workers, (slot) => peerSocketPath(options.peerDirectory, slot), options.logger, options.maxMessageBytes);
  }

  /** Starts a worker: listens on its peer socket. Call {@link announceReady} once control messages are received. */
  static async start(options: WorkerNodeOptions): Promise<WorkerNode> {
    const node = new WorkerNode(options);
    try {
      node.#peers = await listenUnix(
        peerSocketPath(options.peerDirectory, options.slot),
        (socket) => {
          node.#track(new Connection(socket, node.server, options.logger, { ...connectionLimits(options), announcePid: false }).socket);
        },
        { socketMode: 0o600 },
      );
    } catch (error) {
      node.server.close();
      throw error;
    }
    return node;
  }

  /** Tells the primary that this worker takes connections from now on. */
  announceReady(): void {
    this.#options.control.send({ t: 'ready' });
  }

  /** Open connections: Kong's and siblings'. */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Open connections from Kong (handed over by the primary). */
  get kongConnections(): number {
    return this.#kongConnections;
  }

  /**
   * Serves a connection from Kong that the primary accepted. Returns the
   * socket that now carries it (reading in place moves it to a new one).
   */
  accept(accepted: Socket): Socket {
    const options = this.#options;
    const { socket } = new Connection(accepted, this.server, this.#logger, {
      ...connectionLimits(options),
      announcePid: options.announcePid,
      pid: options.pid,
      route: this.forwarder.route,
    });
    this.#track(socket);
    this.#kongConnections++;
    socket.once('close', () => {
      this.#kongConnections--;
      options.control.send({ t: 'conn-closed' });
    });
    return socket;
  }

  /** A control message from the primary (connections arrive through {@link accept}). */
  receive(message: unknown): void {
    if (!isControlMessage(message)) return;
    const data = message as PrimaryMessage;
    switch (data.t) {
      case 'fetch':
        this.#options.control.send({ t: 'fetched', seq: data.seq, to: data.from, record: this.server.instanceRecord(data.id, data.askedAt) ?? null });
        return;
      case 'fetched':
        this.#fetches.get(data.seq)?.(data.record ?? undefined);
        return;
      case 'forget':
        this.server.forgetInstance(data.id);
        return;
      case 'shared-result':
        this.#sharedCalls.get(data.seq)?.(data.result);
        return;
      case 'status-query':
        this.#options.control.send({ t: 'status-part', gather: data.gather, status: this.server.status() });
        return;
      case 'statuses':
        this.#statusCalls.get(data.seq)?.(data.statuses);
        return;
      case 'forget-slot': {
        const dropped = this.server.forgetOrigin(data.slot);
        this.forwarder.drop(data.slot);
        if (dropped > 0) this.#logger.info({ exited: data.slot, instances: dropped }, 'a sibling worker exited; its instances are forgotten here');
        return;
      }
      default:
        return;
    }
  }

  /**
   * The `tspdk/shared` transport of this worker: each operation goes to the
   * primary's store. Settles `SHARED_UNAVAILABLE` when the primary does not
   * answer in time or is gone.
   */
  readonly sharedTransport: SharedTransport = (request: SharedRequest) => {
    const seq = (this.#seq = (this.#seq + 1) % Number.MAX_SAFE_INTEGER);
    const timeoutMs = this.#options.sharedTimeoutMs ?? 5000;
    return new Promise<SharedResult>((resolve) => {
      const timer = setTimeout(() => settle(unavailable(`the primary did not answer within ${timeoutMs} ms`)), timeoutMs);
      const settle = (result: SharedResult): void => {
        clearTimeout(timer);
        this.#sharedCalls.delete(seq);
        resolve(result);
      };
      this.#sharedCalls.set(seq, settle);
      this.#options.control.send({ t: 'shared', seq, request });
    });
  };

  async #serverStatus(): Promise<Record<string, unknown>> {
    const seq = (this.#seq = (this.#seq + 1) % Number.MAX_SAFE_INTEGER);
    const parts = await new Promise<ReadonlyArray<Record<string, unknown>>>((resolve) => {
      // The primary answers within its own gathering deadline; this one covers a lost primary.
      const timer = setTimeout(() => settle([this.server.status()]), 5000);
      const settle = (statuses: ReadonlyArray<Record<string, unknown>>): void => {
        clearTimeout(timer);
        this.#statusCalls.delete(seq);
        resolve(statuses);
      };
      this.#statusCalls.set(seq, settle);
      this.#options.control.send({ t: 'status', seq });
    });
    return mergeStatuses(parts, this.#options.pid ?? process.pid);
  }

  /** Stops serving: drops every connection and closes the peer socket. For tests and embedding. */
  async stop(): Promise<void> {
    this.server.close();
    this.forwarder.close();
    for (const socket of this.#sockets) socket.destroy();
    const peers = this.#peers;
    if (peers !== undefined) await new Promise((resolve) => peers.close(resolve));
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #fetch(id: number, askedAt: number): Promise<InstanceRecord | undefined> {
    const seq = (this.#seq = (this.#seq + 1) % Number.MAX_SAFE_INTEGER);
    const timeoutMs = this.#options.fetchTimeoutMs ?? 5000;
    return new Promise<InstanceRecord | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fetches.delete(seq);
        reject(new Error(`the primary did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#fetches.set(seq, (record) => {
        clearTimeout(timer);
        this.#fetches.delete(seq);
        resolve(record);
      });
      this.#options.control.send({ t: 'fetch', seq, id, askedAt });
    });
  }
}

/** The limits a worker's connections read with. */
function connectionLimits(options: WorkerNodeOptions): { maxMessageBytes?: number; maxMapEntries?: number; maxArrayEntries?: number; maxNesting?: number } {
  const { maxMessageBytes, maxMapEntries, maxArrayEntries, maxNesting } = options;
  return { maxMessageBytes, maxMapEntries, maxArrayEntries, maxNesting };
}

function unavailable(message: string): SharedResult {
  return { ok: false, code: SharedErrorCodes.Unavailable, message };
}

/** One `plugin.GetStatus` answer for the whole server, from its workers' parts. */
export function mergeStatuses(parts: ReadonlyArray<Record<string, unknown>>, pid: number): Record<string, unknown> {
  const instances = new Map<unknown, unknown>();
  let events = 0;
  let started = 0;
  let startTime = Infinity;
  for (const part of parts) {
    for (const instance of asArray(part['Instances'])) instances.set((instance as { Id?: unknown } | null)?.Id, instance);
    events += asNumber(part['Events']);
    started += asNumber(part['EventsStarted']);
    startTime = Math.min(startTime, asNumber(part['StartTime']) || Infinity);
  }
  return {
    Pid: pid,
    StartTime: Number.isFinite(startTime) ? startTime : 0,
    Plugins: parts[0]?.['Plugins'] ?? [],
    Instances: [...instances.values()],
    Events: events,
    EventsStarted: started,
    Workers: parts.map((part) => ({
      Worker: part['Worker'],
      Pid: part['Pid'],
      Instances: asArray(part['Instances']).length,
      Events: part['Events'],
      EventsStarted: part['EventsStarted'],
    })),
  };
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}
