/**
 * A stand-in for Kong's host side of MsgPack:1 (kong/runloop/plugin_servers),
 * written from docs/protocol.md: per-worker connection pools with one request
 * in flight per connection, msgids counted per worker, instances cached per
 * worker and restarted on "no plugin instance", the bridge loop that runs PDK
 * calls against the test kit's fake Kong (`FakeKong`) and answers with the
 * typed Step variant picked from the method name, `Data` left out for nil,
 * multi-maps and bodies as Kong encodes them, no Step after `exit`, and
 * `serverPid` notifications.
 *
 * @module
 */
import type { PdkHost } from '../fake/fake-kong.ts';
import { kongVersion, type HostVersion } from '../fake/version.ts';
import { HostCallError, HostConnection, type CallResult } from './host-connection.ts';
import { requestThrough, type FakeRequestInit, type HostResponse } from './host-request.ts';
import { Method } from '../../server/wire/envelope.ts';

export type { FakeRequestInit, HostResponse };

/** Step variant per PDK method, as `get_step_method` picks it. */
const STEP_BY_METHOD: Record<string, string> = {
  'kong.client.get_credential': Method.stepCredential,
  'kong.client.authenticate': Method.stepCredential,
  'kong.client.load_consumer': Method.stepConsumer,
  'kong.client.get_consumer': Method.stepConsumer,
  'kong.node.get_memory_stats': Method.stepMemoryStats,
  'kong.router.get_route': Method.stepRoute,
  'kong.router.get_service': Method.stepService,
  'kong.request.get_query': Method.stepMultiMap,
  'kong.request.get_headers': Method.stepMultiMap,
  'kong.response.get_headers': Method.stepMultiMap,
  'kong.service.response.get_headers': Method.stepMultiMap,
};

/** Options of the host stand-in. */
export interface KongHostOptions {
  /** The server's socket. */
  readonly socket: string;
  /** nginx workers, each with its own pool, msgids and instances. Defaults to 2. */
  readonly workers?: number;
  /** Idle connections a worker keeps (lua_socket_pool_size). Defaults to 256. */
  readonly poolSize?: number;
  /**
   * The Kong release to imitate (`'2.8'`, `'3.4.2'`, `'master'`, or `'2.x'`
   * / `'3.x'`): which PDK functions it has, how it reports their errors, how
   * it packs raw bodies. Defaults to `'3.x'`, the newest release in tspdk's
   * table of PDK functions.
   */
  readonly version?: HostVersion;
  /** Pick a random idle connection for each call (Steps hop connections). Defaults to true. */
  readonly shuffle?: boolean;
  /**
   * How a worker's pool reuses idle connections. Defaults to `'random'` when
   * `shuffle` is true (or unset) and `'last'` when it is false.
   * - `'random'`: any idle connection, so Steps hop connections often.
   * - `'last'`: the most recently released one; a release into a full pool
   *   closes the released connection.
   * - `'openresty'`: exactly as lua-nginx-module's cosocket pool
   *   (`ngx_http_lua_socket_tcp.c`): `setkeepalive` inserts at the head of
   *   the idle queue and `connect` takes the head (LIFO); a release into a
   *   full pool closes the least recently released idle connection (the
   *   tail) and keeps the released one.
   */
  readonly pool?: PoolOrder;
  /** How long a call may wait for its answer before it fails and its connection is closed (Kong's socket timeout). Defaults to 60,000 ms. */
  readonly callTimeoutMs?: number;
}

/** The reuse order of a worker's idle connections (see {@link KongHostOptions.pool}). */
export type PoolOrder = 'random' | 'last' | 'openresty';

/** A plugin as configured in Kong. */
export interface ConfiguredPlugin {
  readonly name: string;
  readonly config?: Record<string, unknown>;
  /** The phases the plugin dumped, in Kong's order. */
  readonly phases: readonly string[];
  /**
   * Kong's cache key for this plugin entity: requests with the same key share
   * its instance, as they share one plugin entity in Kong. Defaults to
   * `plugins:<name>:<config>`, so that requests with different configs never
   * share an instance. A key reused with another config and the same `seq`
   * is refused: in Kong a new config is a new entity or a new version.
   */
  readonly key?: string;
  /** Config version; a new seq makes Kong start a new instance. Defaults to 1. */
  readonly seq?: number;
}

/** What happened to one phase. */
export type PhaseOutcome = 'ret' | 'exit' | 'aborted' | 'error';

interface Worker {
  readonly index: number;
  msgid: number;
  readonly idle: HostConnection[];
  readonly instances: Map<string, { id: unknown; seq: number; config: string }>;
  serverPid: number | undefined;
}

/** The Kong host stand-in. */
export class KongHost {
  readonly socket: string;
  readonly version: HostVersion;
  readonly #workers: Worker[];
  readonly #poolSize: number;
  readonly #pool: PoolOrder;
  readonly #callTimeoutMs: number;
  readonly #all = new Set<HostConnection>();
  #next = 0;
  /** Instances reset after "no plugin instance" or a new serverPid. */
  resets = 0;
  /** StartInstance calls made. */
  instancesStarted = 0;
  /** The most connections one event's calls used (since the last request started). */
  maxHops = 0;

  constructor(options: KongHostOptions) {
    this.socket = options.socket;
    this.version = options.version ?? '3.x';
    kongVersion(this.version);
    this.#poolSize = options.poolSize ?? 256;
    this.#pool = options.pool ?? ((options.shuffle ?? true) ? 'random' : 'last');
    this.#callTimeoutMs = options.callTimeoutMs ?? 60_000;
    this.#workers = Array.from({ length: options.workers ?? 2 }, (_, index) => ({
      index,
      msgid: 0,
      idle: [],
      instances: new Map(),
      serverPid: undefined,
    }));
  }

  /** Every connection ever opened (for protocol checks). */
  get connections(): readonly HostConnection[] {
    return [...this.#all];
  }

  /** Closes every pooled connection. */
  close(): void {
    for (const connection of this.#all) connection.close();
    for (const worker of this.#workers) worker.idle.length = 0;
  }

  /** Forgets all instances (as after a Kong restart). */
  forgetInstances(): void {
    for (const worker of this.#workers) worker.instances.clear();
  }

  /** Calls a server method from `worker` over a pooled connection. */
  async call(method: string, arg: unknown, workerIndex = 0): Promise<CallResult> {
    const worker = this.#worker(workerIndex);
    const connection = await this.#take(worker);
    worker.msgid += 1;
    try {
      const result = await connection.call(worker.msgid, method, arg);
      this.#give(worker, connection);
      return result;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /**
   * Runs a request through `plugins` as Kong would, in Kong's phase order
   * (as `runPlugin` does): for each phase, each plugin that has it (in the
   * order given, i.e. by priority), the Service (an echo unless
   * `init.upstream` is given), `response`, then `log`. An `exit` skips the
   * rest but `log`; a Lua error in `rewrite` or `access` answers 500. PDK
   * calls are answered by the test kit's fake Kong.
   * @throws {@link UnsupportedPdkMethodError} when a plugin called a PDK
   *   function the test kit does not simulate.
   */
  async request(plugins: readonly ConfiguredPlugin[], init: FakeRequestInit = {}, workerIndex?: number): Promise<HostResponse> {
    const index = workerIndex ?? this.#next++ % this.#workers.length;
    const before = this.maxHops;
    this.maxHops = 0;
    let hops = 0;
    try {
      const response = await requestThrough(this, plugins, init, index);
      hops = this.maxHops;
      return { ...response, hops };
    } finally {
      this.maxHops = Math.max(before, hops);
    }
  }

  /**
   * Kong's `handle_event` with its bridge loop for one plugin and phase. A
   * "no plugin instance" error resets the worker's instances and retries, as
   * Kong does (bounded here so a broken server fails the test instead of
   * looping).
   */
  async runPhase(plugin: ConfiguredPlugin, phase: string, request: PdkHost, workerIndex: number, errors: string[]): Promise<PhaseOutcome> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const worker = this.#worker(workerIndex);
      let instanceId: unknown;
      try {
        instanceId = await this.#instance(worker, plugin);
      } catch (error) {
        if (error instanceof KeyReusedError) throw error; // a mistake in the test, not something Kong would log
        errors.push(`starting instance: ${(error as Error).message}`);
        return 'aborted';
      }
      const outcome = await this.#bridgeLoop(worker, instanceId, phase, request, errors);
      if (outcome !== 'reset') return outcome;
      this.#reset(worker, plugin);
    }
    errors.push('gave up after repeated "no plugin instance" errors');
    return 'error';
  }

  async #bridgeLoop(worker: Worker, instanceId: unknown, phase: string, request: PdkHost, errors: string[]): Promise<PhaseOutcome | 'reset'> {
    let response: CallResult;
    try {
      response = await this.call(Method.handleEvent, { InstanceId: instanceId, EventName: phase }, worker.index);
    } catch (error) {
      errors.push((error as Error).message);
      return error instanceof HostCallError ? 'error' : 'aborted';
    }
    const checked = this.#check(response, errors);
    if (checked !== undefined) return checked;
    const eventId = (response.result as Record<string, unknown>)['EventId'];
    const via = new Set([response.via]);
    for (;;) {
      const data = (response.result as Record<string, unknown> | null)?.['Data'];
      if (data === 'ret') return 'ret';
      const call = data as Record<string, unknown> | undefined;
      if (call === undefined || call === null || typeof call['Method'] !== 'string') {
        errors.push('Lua error: bad StepOut from the server');
        return 'aborted';
      }
      const method = call['Method'];
      const rawArgs = call['Args'];
      const args = Array.isArray(rawArgs) ? rawArgs : rawArgs === undefined ? [] : [rawArgs];
      const outcome = request.call(method, luaUnpack(args), phase, this.version);
      if (outcome.kind === 'exit') return 'exit';
      if (outcome.kind === 'lua-error') {
        errors.push(`Lua error in ${method}: ${outcome.message}`);
        return 'aborted';
      }
      let step = STEP_BY_METHOD[method] ?? Method.step;
      let stepData: unknown = outcome.kind === 'value' ? outcome.value : undefined;
      if (outcome.kind === 'fail' && kongVersion(this.version).failureOf(method) === 'step-error') {
        step = Method.stepError;
        stepData = outcome.message;
      }
      const arg: Record<string, unknown> = { EventId: eventId };
      if (stepData !== undefined && stepData !== null) arg['Data'] = stepData;
      try {
        response = await this.call(step, arg, worker.index);
      } catch (error) {
        errors.push((error as Error).message);
        return 'error';
      }
      via.add(response.via);
      this.maxHops = Math.max(this.maxHops, via.size);
      const failed = this.#check(response, errors);
      if (failed !== undefined) return failed;
    }
  }

  #check(response: CallResult, errors: string[]): 'reset' | 'error' | undefined {
    if (response.error === null || response.error === undefined) return undefined;
    const text = typeof response.error === 'string' ? response.error : JSON.stringify(response.error);
    const matches = kongVersion(this.version).era === '2.x' ? text.includes('No plugin instance') : text.toLowerCase().includes('no plugin instance');
    if (matches) return 'reset';
    errors.push(text);
    return 'error';
  }

  async #instance(worker: Worker, plugin: ConfiguredPlugin): Promise<unknown> {
    const key = entityKey(plugin);
    const seq = plugin.seq ?? 1;
    const configText = stableJson(plugin.config ?? {});
    const cached = worker.instances.get(key);
    if (cached !== undefined && cached.seq === seq) {
      if (cached.config === configText) return cached.id;
      throw new KeyReusedError(
        `plugin ${plugin.name}: key ${JSON.stringify(key)} already names an instance started with another config (seq ${seq}); ` +
          'give each config its own key, leave key out (the config then makes the key), or raise seq as Kong does when an entity changes',
      );
    }
    const config = { ...(plugin.config ?? {}), __key__: key, __seq__: seq, __plugin_id: '3f0f2f4e-0000-4000-8000-000000000001' };
    const response = await this.call(Method.startInstance, { Name: plugin.name, Config: JSON.stringify(config) }, worker.index);
    if (response.error !== null && response.error !== undefined) throw new Error(JSON.stringify(response.error));
    const id = (response.result as Record<string, unknown>)['Id'];
    if (id === undefined || id === null) throw new Error('StartInstance returned no Id');
    this.instancesStarted++;
    worker.instances.set(key, { id, seq, config: configText });
    if (cached !== undefined) await this.call(Method.closeInstance, cached.id, worker.index).catch(() => undefined);
    return id;
  }

  #reset(worker: Worker, plugin: ConfiguredPlugin): void {
    this.resets++;
    worker.instances.delete(entityKey(plugin));
  }

  #worker(index: number): Worker {
    const worker = this.#workers[index % this.#workers.length];
    if (worker === undefined) throw new Error('no workers');
    return worker;
  }

  async #take(worker: Worker): Promise<HostConnection> {
    while (worker.idle.length > 0) {
      // The idle list's end is the most recently released connection.
      const at = this.#pool === 'random' ? Math.floor(Math.random() * worker.idle.length) : worker.idle.length - 1;
      const [connection] = worker.idle.splice(at, 1);
      if (connection !== undefined && !connection.closed) return connection;
    }
    const connection = await HostConnection.open(this.socket, (label, arg) => {
      if (label !== 'serverPid') return;
      const pid = Number(arg);
      if (worker.serverPid !== undefined && worker.serverPid !== pid) {
        this.resets++;
        worker.instances.clear();
      }
      worker.serverPid = pid;
    }, this.#callTimeoutMs);
    this.#all.add(connection);
    return connection;
  }

  #give(worker: Worker, connection: HostConnection): void {
    if (connection.closed) return;
    if (worker.idle.length < this.#poolSize) worker.idle.push(connection);
    else if (this.#pool !== 'openresty' || worker.idle.length === 0) connection.close();
    else {
      worker.idle.shift()?.close();
      worker.idle.push(connection);
    }
  }
}

/** Lua's `unpack` of an Args array stops at the first nil. */
function luaUnpack(args: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const arg of args) {
    if (arg === null || arg === undefined) break;
    out.push(arg);
  }
  return out;
}

/** A request gave an entity's key with another config and the same seq. */
class KeyReusedError extends Error {}

/** The cache key of a configured plugin: its own, or one made of its name and config. */
function entityKey(plugin: ConfiguredPlugin): string {
  return plugin.key ?? `plugins:${plugin.name}:${stableJson(plugin.config ?? {})}`;
}

/** JSON with object keys sorted, so that equal configs give equal text. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item) && !(item instanceof Uint8Array)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
