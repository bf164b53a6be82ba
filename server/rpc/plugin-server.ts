/**
 * The RPC methods Kong calls, independent of any socket: instances, events
 * and their Steps, with process-wide state (Kong sends the Steps of one event
 * over whichever pooled connection is free).
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Event, type EventHost, type Replier } from './event.ts';
import type { InstanceRecord } from './instance.ts';
import { ClosedInstances, clusterClock } from './closed-instances.ts';
import { IdSource, ownerSlot, type Ids } from './ids.ts';
import { createInstance, phaseMethod, type Instance } from './instance.ts';
import { FAIL_CLOSED_PHASES, isPhase, type Phase } from '../../plugin/phases.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import { kongVersionCheck } from './kong-version.ts';
import { Kong } from '../../pdk/kong.ts';
import type { KongVersionCheck } from '../../pdk/version-check.ts';
import { RpcLog, configSecrets, credentialPieces, redactProblems, redactText, secretHeaderNames } from './redact.ts';
import { describeFailure, failureDetails } from '../../pdk/failure.ts';
import * as envelope from '../wire/envelope.ts';
import { RpcErrorKind, type ServerObserver } from './observer.ts';

// A module-local binding, which V8 folds into the code (see wire/envelope.ts).
const { Method } = envelope;

/** Options of a {@link PluginServer}. */
export interface PluginServerOptions {
  /** Where the server logs. */
  readonly logger: Logger;
  /**
   * How long a phase method may keep Kong waiting (from HandleEvent or a Step
   * to its next PDK call or return) before the event fails. Kong's own socket
   * timeout is 60 s. Defaults to 50,000 ms.
   */
  readonly eventTimeoutMs?: number;
  /**
   * How long an event may wait for Kong's Step before it is considered
   * abandoned (Kong hit a Lua error, or its worker went away) and forgotten.
   * Defaults to 65,000 ms, past Kong's 60 s socket timeout.
   */
  readonly abandonAfterMs?: number;
  /** How often timed-out and abandoned events are looked for. Defaults to 1,000 ms. */
  readonly sweepIntervalMs?: number;
  /**
   * Events running at once (the server setting). An event beyond it is not
   * started: it fails closed at once (`kong.response.error(500)` in the
   * phases that fail closed, `"ret"` in the others), and the refusals are
   * logged once per sweep with their count. Defaults to 100,000.
   */
  readonly maxLiveEvents?: number;
  /** Header names (lower case) kept out of the log besides the built-in credential headers (see redact.ts). */
  readonly redactHeaders?: readonly string[];
  /** Where ids start; random by default (tests only). */
  readonly ids?: { readonly instances?: Ids; readonly events?: Ids };
  /** The other workers of a multi-process server (`--workers N`); absent in a single process. */
  readonly cluster?: ClusterPeers;
  /**
   * The Kong version PDK calls are checked against (`--kong-version`): a
   * call it lacks rejects at once with `PDK_UNAVAILABLE`. Unset: no check.
   */
  readonly kongVersion?: string;
  /** Who watches events and errors (metrics, traces; see observer.ts); absent when nobody does. */
  readonly observer?: ServerObserver;
}

/**
 * What a worker of a multi-process server needs from its siblings. Instance
 * and event ids then encode their worker's slot (see ids.ts); an instance is
 * started by one worker (its origin) and copied by any other worker that
 * receives a HandleEvent for it.
 */
export interface ClusterPeers {
  /** This worker's slot. */
  readonly slot: number;
  /**
   * The record of instance `id` from its origin worker, for a request
   * received at `askedAt` ({@link clusterClock}); `undefined` when unknown
   * there (or closed before `askedAt`) or the origin is gone.
   */
  fetchInstance(id: number, askedAt: number): Promise<InstanceRecord | undefined>;
  /** Kong closed instance `id` here: every other worker drops its copy. */
  instanceClosed(id: number): void;
  /** `plugin.GetStatus` of the whole server, gathered from every worker. */
  serverStatus(): Promise<Record<string, unknown>>;
}

/** An RPC failed; the message goes back to Kong as the error string. */
export class RpcError extends Error {
  /** What went wrong, for `tspdk_rpc_errors_total`. */
  readonly kind: RpcErrorKind;

  constructor(message: string, kind: RpcErrorKind = RpcErrorKind.badRequest) {
    super(message);
    this.kind = kind;
  }
}

/** The Step variants that carry a PDK call's result (`plugin.StepError` carries its failure). */
const RESULT_STEPS: ReadonlySet<string> = new Set(envelope.STEP_METHODS.filter((method) => method !== Method.stepError));

/** Serves Kong's RPC methods for a set of plugins. */
export class PluginServer implements EventHost {
  readonly #plugins = new Map<string, PluginDefinition>();
  readonly #instances = new Map<number, Instance>();
  readonly #events = new Map<number, Event>();
  readonly #logger: Logger;
  readonly #instanceIds: Ids;
  readonly #eventIds: Ids;
  readonly #cluster: ClusterPeers | undefined;
  /** Replicas being fetched from their origin worker, by instance id. */
  readonly #fetching = new Map<number, Promise<Instance | undefined>>();
  /** Instances closed while their replica was being fetched. */
  readonly #dropOnArrival = new Set<number>();
  /** This worker's instances that Kong closed lately, for siblings whose fetch crossed the close. */
  readonly #closed = new ClosedInstances();
  /** Instances whose invalid config was logged: once each, not with a stack per event. */
  readonly #invalidLogged = new WeakSet<Instance>();
  readonly #eventTimeoutMs: number;
  readonly #abandonAfterMs: number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #maxLiveEvents: number;
  /** Events refused since the last sweep for being over {@link PluginServerOptions.maxLiveEvents}. */
  #refused: SweepReport | undefined;
  readonly #startTime = Math.floor(Date.now() / 1000);
  #eventsStarted = 0;
  readonly #rpcLog: RpcLog;
  /** The PDK calls `--kong-version` refuses; undefined without it (the hot path then pays nothing). */
  readonly #versionCheck: KongVersionCheck | undefined;
  readonly secretHeaders: ReadonlySet<string>;
  /** The secret config values of each instance, found at its first failure. */
  readonly #instanceSecrets = new WeakMap<Instance, readonly string[]>();
  /** See {@link PluginServerOptions.observer}. */
  readonly observer: ServerObserver | undefined;

  /** @throws {@link KongVersionError} for a `kongVersion` the table of PDK functions cannot check against. */
  constructor(plugins: readonly PluginDefinition[], options: PluginServerOptions) {
    this.#versionCheck = kongVersionCheck(options.kongVersion);
    for (const plugin of plugins) this.addPlugin(plugin);
    this.#logger = options.logger;
    this.secretHeaders = secretHeaderNames(options.redactHeaders);
    this.#rpcLog = new RpcLog(this.#logger, (name) => this.#plugins.get(name), this.secretHeaders);
    this.#instanceIds = options.ids?.instances ?? new IdSource();
    this.#eventIds = options.ids?.events ?? new IdSource();
    this.#cluster = options.cluster;
    this.observer = options.observer;
    this.#eventTimeoutMs = options.eventTimeoutMs ?? 50_000;
    this.#abandonAfterMs = options.abandonAfterMs ?? 65_000;
    this.#maxLiveEvents = options.maxLiveEvents ?? 100_000;
    this.#sweeper = setInterval(() => this.sweep(performance.now()), options.sweepIntervalMs ?? 1000);
    this.#sweeper.unref();
  }

  /** Adds a plugin; its name must be new. */
  addPlugin(plugin: PluginDefinition): void {
    if (this.#plugins.has(plugin.name)) throw new Error(`two plugins are named ${plugin.name}`);
    this.#plugins.set(plugin.name, plugin);
  }

  /**
   * Swaps in a new definition of a served plugin (same name) and rebuilds
   * each of its live instances from the config Kong sent, under the same
   * instance id. Events already running finish with the object they started
   * with; new events use the new code. Returns the number of instances rebuilt.
   * @throws {@link Error} when no plugin of that name is served.
   */
  replacePlugin(plugin: PluginDefinition): number {
    if (!this.#plugins.has(plugin.name)) throw new Error(`no plugin named ${plugin.name} is served`);
    this.#plugins.set(plugin.name, plugin);
    let rebuilt = 0;
    for (const [id, old] of this.#instances) {
      if (old.plugin.name !== plugin.name) continue;
      const instance = createInstance(id, plugin, old.configJson, old.startTime);
      this.#instances.set(id, instance);
      rebuilt++;
      if (instance.problems.length > 0) {
        this.#invalidLogged.add(instance);
        this.#logger.error({ plugin: plugin.name, instanceId: id, problems: redactProblems(instance.problems) }, 'invalid plugin config after reload');
      }
    }
    return rebuilt;
  }

  /** The plugins served. */
  get plugins(): readonly PluginDefinition[] {
    return [...this.#plugins.values()];
  }

  /** Events started and not yet ended. */
  get liveEvents(): number {
    return this.#events.size;
  }

  /** Instances started and not closed. */
  get liveInstances(): number {
    return this.#instances.size;
  }

  /**
   * Instances by plugin name, counting only those this process started
   * (with several workers, a copy fetched from a sibling is left out, so
   * that the sums over the workers count each instance once).
   */
  instancesByPlugin(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [id, instance] of this.#instances) {
      if (this.#cluster !== undefined && ownerSlot(id) !== this.#cluster.slot) continue;
      counts.set(instance.plugin.name, (counts.get(instance.plugin.name) ?? 0) + 1);
    }
    return counts;
  }

  /** Stops the background sweep (the server keeps answering). */
  close(): void {
    clearInterval(this.#sweeper);
  }

  /**
   * Handles one request `[0, msgid, method, params]` that arrived through
   * `replier`. Always answers, now or when the event moves on.
   */
  handle(replier: Replier, msgid: number, method: string, params: unknown): void {
    if (this.#logger.isLevelEnabled('debug')) replier = this.#rpcLog.request(replier, msgid, method, params);
    const arg = Array.isArray(params) ? (params[0] as unknown) : params;
    try {
      if (RESULT_STEPS.has(method)) this.#step(replier, msgid, arg, false);
      else if (method === Method.stepError) this.#step(replier, msgid, arg, true);
      else if (method === Method.handleEvent) this.#handleEvent(replier, msgid, arg);
      else if (method === Method.startInstance) replier.reply(msgid, null, this.#startInstance(arg));
      else if (method === Method.closeInstance) this.#closeInstance(replier, msgid, arg);
      else if (method === Method.instanceStatus) this.#instanceStatus(replier, msgid, arg);
      else if (method === Method.getStatus) this.#getStatus(replier, msgid);
      else if (method === Method.getPluginInfo) replier.reply(msgid, null, this.#pluginInfo(arg));
      else throw new RpcError(`unknown method ${JSON.stringify(method)}`);
    } catch (error) {
      this.#internalError(replier, msgid, method, error);
    }
  }

  #internalError(replier: Replier, msgid: number, method: string, error: unknown): void {
    const message = error instanceof RpcError ? error.message : `internal error in ${method}: ${describeFailure(error)}`;
    if (!(error instanceof RpcError)) this.#logger.error({ err: failureDetails(error), method }, 'rpc failed');
    this.observer?.rpcError(error instanceof RpcError ? error.kind : RpcErrorKind.internal);
    replier.reply(msgid, message, null);
  }

  /** This process's state, as `plugin.GetStatus` reports it (with several workers: this worker's part). */
  status(): Record<string, unknown> {
    return {
      Pid: process.pid,
      ...(this.#cluster === undefined ? {} : { Worker: this.#cluster.slot }),
      StartTime: this.#startTime,
      Plugins: [...this.#plugins.keys()],
      Instances: [...this.#instances.values()].map(instanceStatus),
      Events: this.#events.size,
      EventsStarted: this.#eventsStarted,
    };
  }

  /**
   * Fails events that kept Kong waiting too long and forgets abandoned ones.
   * Each kind is logged once per sweep with its count, not once per event:
   * Kong going away can leave thousands behind at once.
   */
  sweep(now: number): void {
    if (this.#closed.size > 0) this.#closed.prune();
    let expired: SweepReport | undefined;
    let abandoned: SweepReport | undefined;
    for (const event of this.#events.values()) {
      const age = now - event.since;
      if (event.kongWaiting) {
        if (age > this.#eventTimeoutMs) {
          expired = report(expired, event.instance.plugin.name, event.phase, event.id);
          event.expire(timeoutError(`the ${event.phase} phase did not answer within ${this.#eventTimeoutMs} ms`));
        }
      } else if (age > this.#abandonAfterMs) {
        abandoned = report(abandoned, event.instance.plugin.name, event.phase, event.id);
        event.abandon(age);
      }
    }
    if (expired !== undefined) {
      this.#logger.error({ ...expired, timeoutMs: this.#eventTimeoutMs }, 'phases did not answer in time; their events failed');
    }
    const refused = this.#refused;
    if (refused !== undefined) {
      this.#refused = undefined;
      this.#logger.error(
        { ...refused, liveEvents: this.#events.size, maxLiveEvents: this.#maxLiveEvents },
        'events refused: too many running at once (--max-live-events); they failed closed without running',
      );
    }
    if (abandoned !== undefined) {
      this.#logger.warn(
        { ...abandoned, afterMs: this.#abandonAfterMs },
        "Kong sent no step for these events (most likely a Lua error on Kong's side, see its error.log); their pending PDK calls were rejected and the events forgotten",
      );
    }
  }

  // EventHost ------------------------------------------------------------

  ended(event: Event): void {
    this.#events.delete(event.id);
  }

  failed(event: Event, error: unknown): void {
    // Timeouts are logged by the sweep, once for all. (Not `instanceof`: a Proxy's trap could throw.)
    if (timeouts.has(error as object)) return;
    if (invalidConfigs.has(error as object)) {
      if (this.#invalidLogged.has(event.instance)) return;
      this.#invalidLogged.add(event.instance);
      const { plugin, id, problems } = event.instance;
      this.#logger.error({ plugin: plugin.name, instanceId: id, problems: redactProblems(problems) }, 'invalid plugin config; its events fail');
      return;
    }
    this.#logger.error(
      {
        err: failureDetails(error, (text) => this.redact(event, text)),
        plugin: event.instance.plugin.name,
        phase: event.phase,
        instanceId: event.instance.id,
        eventId: event.id,
      },
      'plugin phase failed',
    );
  }

  redact(event: Event, text: string): string {
    const instance = event.instance;
    let secrets = this.#instanceSecrets.get(instance);
    if (secrets === undefined) {
      secrets = configSecrets(instance.plugin, instance.config);
      this.#instanceSecrets.set(instance, secrets);
    }
    const credentials = event.credentials.flatMap(([name, value]) => credentialPieces(name, value));
    return secrets.length === 0 && credentials.length === 0 ? text : redactText(text, [...secrets, ...credentials]);
  }

  /**
   * `text` without the secret config values of any live instance: for
   * failures outside an event (a plugin's stray timer), where the plugin
   * is not known.
   */
  redactKnownSecrets(text: string): string {
    const secrets = new Set<string>();
    for (const instance of this.#instances.values()) {
      for (const secret of configSecrets(instance.plugin, instance.config)) secrets.add(secret);
      if (secrets.size > 4096) break;
    }
    return secrets.size === 0 ? text : redactText(text, secrets);
  }

  // RPC methods ------------------------------------------------------------

  #startInstance(arg: unknown): Record<string, unknown> {
    const request = asRecord(arg, 'plugin.StartInstance expects {Name, Config}');
    const name = request['Name'];
    if (typeof name !== 'string') throw new RpcError('plugin.StartInstance: Name must be a string');
    const plugin = this.#plugins.get(name);
    if (plugin === undefined) {
      throw new RpcError(`no plugin named ${JSON.stringify(name)} here (this server has: ${[...this.#plugins.keys()].join(', ')})`);
    }
    const instance = createInstance(this.#instanceIds.next(), plugin, request['Config']);
    this.#instances.set(instance.id, instance);
    if (instance.problems.length > 0) {
      this.#invalidLogged.add(instance);
      this.#logger.error({ plugin: name, instanceId: instance.id, problems: redactProblems(instance.problems) }, 'invalid plugin config; its events fail');
    } else {
      this.#logger.info({ plugin: name, instanceId: instance.id }, 'instance started');
    }
    if (instance.warnings.length > 0) {
      this.#logger.warn({ plugin: name, instanceId: instance.id, keys: instance.warnings }, 'config has keys the schema does not know; ignored');
    }
    return instanceStatus(instance);
  }

  #closeInstance(replier: Replier, msgid: number, arg: unknown): void {
    // Kong sends the id; a map {InstanceId} is taken too.
    const record = arg !== null && typeof arg === 'object' && !Array.isArray(arg) && !(arg instanceof Uint8Array);
    const id = record ? (arg as Record<string, unknown>)['InstanceId'] : arg;
    if (typeof id !== 'number') throw new RpcError(`plugin.CloseInstance expects an instance id (a number), got ${describeValue(arg)}`);
    this.#withInstance(replier, msgid, id, (instance) => {
      this.#instances.delete(instance.id);
      if (this.#cluster !== undefined && ownerSlot(instance.id) === this.#cluster.slot) {
        this.#closed.remember(instance.id, { name: instance.plugin.name, configJson: instance.configJson, startTime: instance.startTime });
      }
      this.#cluster?.instanceClosed(instance.id);
      this.#logger.info({ plugin: instance.plugin.name, instanceId: instance.id }, 'instance closed');
      replier.reply(msgid, null, instanceStatus(instance));
    });
  }

  #instanceStatus(replier: Replier, msgid: number, arg: unknown): void {
    // Not "No plugin instance": that text makes Kong reset and retry.
    if (typeof arg !== 'number') throw new RpcError(`plugin.InstanceStatus expects an instance id (a number), got ${describeValue(arg)}`);
    this.#withInstance(replier, msgid, arg, (instance) => replier.reply(msgid, null, instanceStatus(instance)));
  }

  /** Runs `use` with instance `id` (now, or once its replica arrives); answers `No plugin instance` when unknown. */
  #withInstance(replier: Replier, msgid: number, id: unknown, use: (instance: Instance) => void): void {
    const found = typeof id === 'number' ? this.#lookup(id) : undefined;
    if (found === undefined) throw new RpcError(`No plugin instance ${String(id)}`, RpcErrorKind.noInstance);
    if (!(found instanceof Promise)) return use(found);
    void found.then((instance) => {
      try {
        if (instance === undefined) throw new RpcError(`No plugin instance ${String(id)}`, RpcErrorKind.noInstance);
        use(instance);
      } catch (error) {
        this.#internalError(replier, msgid, 'a request for a copied instance', error);
      }
    });
  }

  /**
   * Instance `id` when this process has it. In a worker of a multi-process
   * server, an instance another worker started is fetched from that worker
   * once and kept as a replica: the promise resolves with it, or with
   * `undefined` when its origin does not know it (or is gone).
   */
  #lookup(id: number): Instance | Promise<Instance | undefined> | undefined {
    const local = this.#instances.get(id);
    if (local !== undefined) return local;
    const cluster = this.#cluster;
    if (cluster === undefined || ownerSlot(id) === cluster.slot) return undefined;
    let pending = this.#fetching.get(id);
    if (pending === undefined) {
      pending = cluster
        .fetchInstance(id, clusterClock())
        .then(
          (record) => this.#replica(id, record),
          (error: unknown) => {
            this.#logger.warn({ err: error, instanceId: id }, 'cannot fetch an instance from its origin worker');
            return undefined;
          },
        )
        .finally(() => {
          this.#fetching.delete(id);
          this.#dropOnArrival.delete(id);
        });
      this.#fetching.set(id, pending);
    }
    return pending;
  }

  #replica(id: number, record: InstanceRecord | undefined): Instance | undefined {
    const existing = this.#instances.get(id);
    if (existing !== undefined) return existing;
    const plugin = record === undefined ? undefined : this.#plugins.get(record.name);
    if (record === undefined || plugin === undefined) return undefined;
    const instance = createInstance(id, plugin, record.configJson, record.startTime);
    // Closed while its record was on the way, or just after this worker received the request: serve it, keep no copy.
    if (!this.#dropOnArrival.has(id) && record.closed !== true) this.#instances.set(id, instance);
    this.#logger.debug({ plugin: plugin.name, instanceId: id }, 'instance copied from its origin worker');
    return instance;
  }

  // Cluster (called by the worker that owns this server) -------------------

  /**
   * What this worker's own instance `id` is built from, for a sibling's
   * replica; with `askedAt` (when the sibling received the request), also an
   * instance Kong closed after that moment, marked closed.
   */
  instanceRecord(id: number, askedAt?: number): InstanceRecord | undefined {
    if (this.#cluster !== undefined && ownerSlot(id) !== this.#cluster.slot) return undefined;
    const instance = this.#instances.get(id);
    if (instance === undefined) return askedAt === undefined ? undefined : this.#closed.recordFor(id, askedAt);
    return { name: instance.plugin.name, configJson: instance.configJson, startTime: instance.startTime };
  }

  /** Drops the copy of instance `id` (Kong closed it through another worker). Running events finish. */
  forgetInstance(id: number): void {
    this.#instances.delete(id);
    if (this.#fetching.has(id)) this.#dropOnArrival.add(id);
  }

  /** Drops every replica whose origin is worker `slot` (it exited): those ids are unknown from now on. */
  forgetOrigin(slot: number): number {
    if (slot === this.#cluster?.slot) return 0;
    let dropped = 0;
    for (const id of this.#instances.keys()) {
      if (ownerSlot(id) === slot) {
        this.#instances.delete(id);
        dropped++;
      }
    }
    return dropped;
  }

  #getStatus(replier: Replier, msgid: number): void {
    if (this.#cluster === undefined) return void replier.reply(msgid, null, this.status());
    this.#cluster.serverStatus().then(
      (status) => replier.reply(msgid, null, status),
      (error: unknown) => this.#internalError(replier, msgid, Method.getStatus, error),
    );
  }

  #pluginInfo(arg: unknown): unknown {
    const plugin = typeof arg === 'string' ? this.#plugins.get(arg) : undefined;
    if (plugin === undefined) throw new RpcError(`no plugin named ${JSON.stringify(arg)} here`);
    return plugin.dump;
  }

  #handleEvent(replier: Replier, msgid: number, arg: unknown): void {
    const request = asRecord(arg, 'plugin.HandleEvent expects {InstanceId, EventName}');
    const id = request['InstanceId'];
    if (typeof id !== 'number') {
      // Not "No plugin instance": Kong would reset and retry forever.
      throw new RpcError(`plugin.HandleEvent: InstanceId must be a number, got ${describeValue(id)}`);
    }
    const phase = request['EventName'];
    const local = this.#instances.get(id);
    if (local !== undefined) {
      // The hot path: no closure, no promise.
      if (!isPhase(phase)) throw new RpcError(`plugin.HandleEvent: unknown phase ${describeValue(phase)}`);
      return this.#startEvent(replier, msgid, local, phase);
    }
    this.#withInstance(replier, msgid, id, (instance) => {
      if (!isPhase(phase)) throw new RpcError(`plugin.HandleEvent: unknown phase ${describeValue(phase)}`);
      this.#startEvent(replier, msgid, instance, phase);
    });
  }

  #startEvent(replier: Replier, msgid: number, instance: Instance, phase: Phase): void {
    if (this.#events.size >= this.#maxLiveEvents) return this.#refuseEvent(replier, msgid, instance, phase);
    const event = new Event(this.#eventIds.next(), instance, phase, this, replier, msgid, performance.now());
    this.#events.set(event.id, event);
    this.#eventsStarted++;
    if (instance.problems.length > 0) return event.refuse(invalidConfigError(`invalid config: ${instance.problems.join('; ')}`));
    let method: ReturnType<typeof phaseMethod>;
    try {
      // A getter or a Proxy may stand where the method is: its failure is the phase's.
      method = phaseMethod(instance, phase);
    } catch (error) {
      return event.refuse(error);
    }
    if (method === undefined) return event.refuse(new Error(`plugin ${instance.plugin.name} has no ${phase} phase`));
    const check = this.#versionCheck;
    const kong = check === undefined ? undefined : new Kong(check.bridge(event, phase));
    if (this.observer === undefined) event.run(method, kong);
    else event.observeAndRun(method, kong);
  }

  /** Answers a HandleEvent over the live-event limit without starting the event: it fails closed at once. */
  #refuseEvent(replier: Replier, msgid: number, instance: Instance, phase: Phase): void {
    const id = this.#eventIds.next();
    this.#refused = report(this.#refused, instance.plugin.name, phase, id);
    const closed = FAIL_CLOSED_PHASES.has(phase) && !instance.plugin.failOpen;
    if (replier.replyStep !== undefined) replier.replyStep(msgid, id, closed ? REFUSAL.Method : undefined, closed ? REFUSAL.Args : []);
    else replier.reply(msgid, null, { EventId: id, Data: closed ? REFUSAL : 'ret' });
  }

  /**
   * A Step for event `eventId` arrived that was not decoded (`reason`: the
   * decoding limit it breaks): the PDK call it answers rejects, and the event
   * goes on, so that the plugin fails closed or handles it. Returns false
   * when no such event waits for a Step.
   */
  refuseResult(replier: Replier, msgid: number, eventId: number, reason: string): boolean {
    const event = this.#events.get(eventId);
    return event !== undefined && event.refuseResult(replier, msgid, reason, performance.now());
  }

  #step(replier: Replier, msgid: number, arg: unknown, failed: boolean): void {
    const request = asRecord(arg, 'plugin.Step expects {EventId, Data}');
    const id = request['EventId'];
    const event = typeof id === 'number' ? this.#events.get(id) : undefined;
    if (event === undefined) throw new RpcError(`no running event ${describeValue(id)}`, RpcErrorKind.noEvent);
    if (!event.step(replier, msgid, request['Data'], failed, performance.now())) {
      throw new RpcError(`event ${describeValue(id)} is not waiting for a PDK result`, RpcErrorKind.noEvent);
    }
  }
}

function asRecord(value: unknown, message: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new RpcError(message);
  }
  return value as Record<string, unknown>;
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : value instanceof Uint8Array ? 'bytes' : 'a map';
}

function instanceStatus(instance: Instance): Record<string, unknown> {
  return { Name: instance.plugin.name, Id: instance.id, Config: instance.config, StartTime: instance.startTime };
}

/** Failures of phases that kept Kong waiting past the event timeout (logged by the sweep, not per event). */
const timeouts = new WeakSet<object>();

function timeoutError(message: string): Error {
  const error = new Error(message);
  timeouts.add(error);
  return error;
}

/** Failures of events of an instance whose config is invalid: logged once per instance, without a stack. */
const invalidConfigs = new WeakSet<object>();

function invalidConfigError(message: string): Error {
  const error = new Error(message);
  invalidConfigs.add(error);
  return error;
}

/** What one sweep logs about one kind of event: how many, and which plugins and phases. */
interface SweepReport {
  count: number;
  /** Events per `plugin/phase`. */
  readonly phases: Record<string, number>;
  /** The first few events, for looking them up in Kong's log. */
  readonly eventIds: number[];
}

function report(current: SweepReport | undefined, plugin: string, phase: Phase, eventId: number): SweepReport {
  const into = current ?? { count: 0, phases: {}, eventIds: [] };
  into.count++;
  const key = `${plugin}/${phase}`;
  into.phases[key] = (into.phases[key] ?? 0) + 1;
  if (into.eventIds.length < 5) into.eventIds.push(eventId);
  return into;
}

/** What an event refused over the live-event limit sends in the phases that fail closed. */
const REFUSAL = Object.freeze({ Method: 'kong.response.error', Args: Object.freeze([500]) });
