/**
 * One event: a phase of one plugin instance for one request, from
 * `plugin.HandleEvent` to its last reply.
 *
 * The event is the {@link Bridge} of the `kong` object its phase method
 * receives. At any time either Kong waits for the event (it holds a request
 * to answer: the HandleEvent or the last Step) or the event waits for Kong (a
 * PDK call is out). A PDK call is sent as the answer to the request Kong is
 * waiting on; Kong's next `plugin.Step*` carries its result and becomes the
 * request to answer next. When the phase method returns, the answer is
 * `"ret"`. Calls made concurrently by the plugin are queued and sent one at a
 * time, as Kong takes one call per step.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Bridge } from '../../pdk/bridge.ts';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';
import { Kong } from '../../pdk/kong.ts';
import type { Instance } from './instance.ts';
import { EventOutcome, PdkCallOutcome, type ObservedEvent, type ServerObserver } from './observer.ts';
import { FAIL_CLOSED_PHASES, type Phase, type PhaseMethod } from '../../plugin/phases.ts';
import { describeFailure } from '../../pdk/failure.ts';
import { activityCode, recordEntry, type ActivityCode } from './activity.ts';

/** Where an answer to Kong goes: the connection that carried Kong's request. */
export interface Replier {
  /**
   * Sends `[1, msgid, error, result]`. Returns `false` when the connection is
   * gone; throws when `result` cannot be encoded (nothing is sent then).
   */
  reply(msgid: number, error: string | null, result: unknown): boolean;
  /**
   * The event loop's own answers, without building their object graph:
   * `[1, msgid, nil, {EventId: eventId, Data: {Method: method, Args: args}}]`,
   * or `Data: "ret"` when `method` is undefined. Same contract as
   * {@link Replier.reply}. Optional: a replier that wraps another (the debug
   * RPC log) leaves it out, and {@link Replier.reply} is used instead.
   */
  replyStep?(msgid: number, eventId: number, method: string | undefined, args: readonly unknown[]): boolean;
}

/** What the event reports to the server that owns it. */
export interface EventHost {
  /** The event ended: forget it. */
  ended(event: Event): void;
  /** A phase method failed (thrown, rejected, timed out). */
  failed(event: Event, error: unknown): void;
  /** Header (and query argument) names whose values the event keeps out of failure messages. */
  readonly secretHeaders: ReadonlySet<string>;
  /** `text` without the secrets of `event`: its instance's secret config values, the credentials it read. */
  redact(event: Event, text: string): string;
  /** Who watches events (metrics, traces); `undefined` when nobody does. */
  readonly observer?: ServerObserver | undefined;
}

/** PDK calls whose results may carry a credential: how to find it. */
const CREDENTIAL_SOURCES: ReadonlyMap<string, 'named' | 'map' | 'all'> = new Map([
  ['kong.request.get_header', 'named'],
  ['kong.response.get_header', 'named'],
  ['kong.service.response.get_header', 'named'],
  ['kong.request.get_query_arg', 'named'],
  ['kong.request.get_headers', 'map'],
  ['kong.response.get_headers', 'map'],
  ['kong.service.response.get_headers', 'map'],
  ['kong.request.get_query', 'map'],
  ['kong.client.get_credential', 'all'],
] as const);

/** Most credential values one event keeps for redaction. */
const MAX_CREDENTIALS = 64;

interface Call {
  readonly method: string;
  readonly args: readonly unknown[];
  /** Turns Kong's answer into the binding's result (see {@link Bridge.callShaped}). */
  readonly shape: ((raw: unknown, method: string) => unknown) | undefined;
  /** The call never returns (`kong.response.exit`/`error`): the event ends when it is sent. */
  readonly exit: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const ignore = (): void => undefined;
const NO_ARGS: readonly unknown[] = [];

/** A running event. */
export class Event implements Bridge, ObservedEvent {
  readonly id: number;
  readonly instance: Instance;
  readonly phase: Phase;
  /** `performance.now()` when the event last changed hands (Kong ↔ plugin). */
  since: number;
  /** `performance.now()` when Kong's HandleEvent arrived. */
  readonly startedAt: number;
  /** The observer's state for this event (see {@link ServerObserver}). */
  observation: unknown = undefined;

  readonly #host: EventHost;
  #replier: Replier | undefined;
  #msgid = 0;
  #pending: Call | undefined;
  #queue: Call[] | undefined;
  #handlerDone = false;
  #failing = false;
  #ended = false;
  /** This event's plugin and phase for the watchdog's record ({@link recordEntry}); found at the first entry. */
  #activity: ActivityCode = -1;
  /** `[name, value]` of the credentials Kong sent this event (redacted from its failure messages). */
  #credentials: Array<readonly [string, string]> | undefined;
  /** Who watches this event; cleared when it wants no more of its reports (see {@link ServerObserver.eventStarted}). */
  #observer: ServerObserver | undefined;
  /** When the pending call went to Kong (kept only when observed). */
  #sentAt = 0;
  /** How the event ends, once a failure or a timeout decided it. */
  #outcome: EventOutcome | undefined;

  constructor(id: number, instance: Instance, phase: Phase, host: EventHost, replier: Replier, msgid: number, now: number) {
    this.id = id;
    this.instance = instance;
    this.phase = phase;
    this.#host = host;
    this.#replier = replier;
    this.#msgid = msgid;
    this.since = now;
    this.startedAt = now;
    this.#observer = host.observer;
  }

  /** Kong waits for this event (true), or the event waits for a Step (false). */
  get kongWaiting(): boolean {
    return this.#replier !== undefined;
  }

  /** The event has ended; nothing more will be sent for it. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Runs the phase method (with `kong`, see {@link Event.run}) once the
   * observer has read the request header it asked for, if any (one
   * `kong.request.get_header` round trip).
   */
  observeAndRun(method: PhaseMethod, kong?: Kong): void {
    const observer = this.#observer;
    if (observer === undefined) {
      this.run(method, kong);
      return;
    }
    const header = observer.headerFor(this);
    if (header === undefined) {
      if (!observer.eventStarted(this, undefined)) this.#observer = undefined;
      this.run(method, kong);
      return;
    }
    const start = (value: unknown): void => {
      if (this.#ended) return;
      if (!observer.eventStarted(this, value)) this.#observer = undefined;
      this.run(method, kong);
    };
    this.call('kong.request.get_header', [header]).then(start, () => start(undefined));
  }

  /**
   * Runs the phase method with `kong` (bound to this event unless given);
   * its result or failure drives the rest. Never throws, whatever the method
   * returns or throws: a thenable is followed through its `then` (which may
   * itself throw, or call back more than once), anything else counts as
   * returned.
   */
  run(method: PhaseMethod, kong: Kong = new Kong(this)): void {
    this.#entering();
    try {
      const result: unknown = method.call(this.instance.object, kong);
      if (result !== null && (typeof result === 'object' || typeof result === 'function')) {
        const then: unknown = (result as { then?: unknown }).then;
        if (typeof then === 'function') {
          Reflect.apply(then, result, [() => this.#handlerReturned(), (error: unknown) => this.#handlerFailed(error)]);
          return;
        }
      }
    } catch (error) {
      this.#handlerFailed(error);
      return;
    }
    this.#handlerReturned();
  }

  /** Ends the event as failed without running the phase (bad config, missing phase). */
  refuse(reason: unknown): void {
    if (this.#observer?.eventStarted(this, undefined) === false) this.#observer = undefined;
    this.#handlerDone = true;
    this.#handlerFailed(reason);
  }

  // Bridge ---------------------------------------------------------------

  call(method: string, args: readonly unknown[]): Promise<unknown> {
    return this.callShaped(method, args, undefined);
  }

  callShaped(method: string, args: readonly unknown[], shape: ((raw: unknown, method: string) => unknown) | undefined): Promise<unknown> {
    if (this.#ended || (this.#handlerDone && this.#failing)) {
      return Promise.reject(new PdkError(ErrorCodes.EventEnded, method, `the ${this.phase} event has ended`));
    }
    return new Promise((resolve, reject) => this.#submit({ method, args, shape, exit: false, resolve, reject }));
  }

  exit(method: string, args: readonly unknown[]): Promise<never> {
    if (this.#ended) {
      return Promise.reject(new PdkError(ErrorCodes.EventEnded, method, `the ${this.phase} event has ended`));
    }
    // A fresh promise that never settles: the plugin's code after the call
    // never runs, and everything it holds is collected with the event.
    return new Promise<never>((_resolve, reject) => this.#submit({ method, args, shape: undefined, exit: true, resolve: ignore, reject }));
  }

  // Kong -----------------------------------------------------------------

  /**
   * Kong answered the PDK call that was out. `failed` is true for
   * `plugin.StepError`. Returns false when no call was out (nothing changes).
   */
  step(replier: Replier, msgid: number, data: unknown, failed: boolean, now: number): boolean {
    const call = this.#resume(replier, msgid, now);
    if (call === undefined) return false;
    const source = failed || data == null ? undefined : CREDENTIAL_SOURCES.get(call.method);
    if (source !== undefined) this.#noteCredentials(source, call, data);
    this.#observer?.pdkCallEnded(this, call.method, failed ? PdkCallOutcome.error : PdkCallOutcome.ok, this.#sentAt, now);
    if (failed) {
      call.reject(new PdkError(ErrorCodes.PdkCallFailed, call.method, typeof data === 'string' ? data : 'Kong reported an error'));
    } else if (call.shape === undefined) {
      call.resolve(data === null ? undefined : data);
    } else {
      settleShaped(call, data === null ? undefined : data);
    }
    this.#next();
    return true;
  }

  /**
   * Kong answered the PDK call that was out, but its answer cannot be used
   * (it was not decoded, see `maxMapEntries`): the call rejects with
   * `PDK_RESULT_TOO_LARGE` and `reason`, and the event goes on. Returns false
   * when no call was out.
   */
  refuseResult(replier: Replier, msgid: number, reason: string, now: number): boolean {
    const call = this.#resume(replier, msgid, now);
    if (call === undefined) return false;
    this.#observer?.pdkCallEnded(this, call.method, PdkCallOutcome.error, this.#sentAt, now);
    call.reject(new PdkError(ErrorCodes.ResultTooLarge, call.method, reason));
    this.#next();
    return true;
  }

  /** The credentials Kong sent this event, as `[header or argument name, value]`. */
  get credentials(): ReadonlyArray<readonly [string, string]> {
    return this.#credentials ?? [];
  }

  /** Keeps the credential values in Kong's answer to `call`, found as `kind` says (a {@link CREDENTIAL_SOURCES} value). */
  #noteCredentials(kind: 'named' | 'map' | 'all', call: Call, data: unknown): void {
    const names = this.#host.secretHeaders;
    if (kind === 'named') {
      const first = call.args[0];
      if (typeof first === 'string' && names.has(first.toLowerCase())) this.#keepCredential(first, data);
    } else if (typeof data === 'object' && !(data instanceof Uint8Array)) {
      for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
        if (kind === 'all' || names.has(key.toLowerCase())) this.#keepCredential(key, value);
      }
    }
  }

  /** Keeps `value` (a string, or each string of an array) as a credential named `name`. */
  #keepCredential(name: string, value: unknown): void {
    const list = (this.#credentials ??= []);
    if (typeof value === 'string' && value !== '' && list.length < MAX_CREDENTIALS) list.push([name, value]);
    else if (Array.isArray(value)) for (const item of value) this.#keepCredential(name, item);
  }

  /** The plugin's code of this event runs next (now, or from the microtasks of this turn). */
  #entering(): void {
    if (this.#activity < 0) this.#activity = activityCode(this.instance.plugin.name, this.phase);
    recordEntry(this.#activity, this.instance.id, this.id);
  }

  /** Takes the call that was out, and Kong's request to answer next; `undefined` when no call was out. */
  #resume(replier: Replier, msgid: number, now: number): Call | undefined {
    const call = this.#pending;
    if (call === undefined || this.#ended) return undefined;
    this.#entering();
    this.#pending = undefined;
    this.#replier = replier;
    this.#msgid = msgid;
    this.since = now;
    return call;
  }

  /**
   * Kong will never send the Step this event waits for: the PDK call that is
   * out rejects with a {@link PdkError} of code `PDK_EVENT_ABANDONED` (so the
   * plugin's `catch` and `finally` run), calls queued behind it with
   * `PDK_EVENT_ENDED`, and the event is forgotten. `waitedMs` is how long
   * Kong has been silent.
   */
  abandon(waitedMs: number): void {
    const pending = this.#pending;
    const queued = this.#queue;
    this.#end(EventOutcome.abandoned);
    if (pending === undefined) return;
    this.#entering();
    pending.reject(
      new PdkError(
        ErrorCodes.EventAbandoned,
        pending.method,
        `Kong sent no answer in ${Math.round(waitedMs)} ms, most likely because the call raised a Lua error on Kong's side ` +
          "(a call in the wrong phase, a bad argument): see Kong's error.log",
      ),
    );
    for (const call of queued ?? []) {
      call.reject(new PdkError(ErrorCodes.EventEnded, call.method, `the ${this.phase} event has ended: Kong never answered ${pending.method}`));
    }
  }

  /** The phase method has kept Kong waiting too long: fail the event. */
  expire(reason: Error): void {
    if (this.#ended) return;
    if (!this.#failing) this.#outcome = EventOutcome.timeout;
    this.#handlerDone = true;
    this.#queue = undefined;
    this.#handlerFailed(reason);
  }

  // internals ------------------------------------------------------------

  #submit(call: Call): void {
    if (this.#replier !== undefined && this.#pending === undefined) this.#send(call);
    else (this.#queue ??= []).push(call);
  }

  /** Sends queued calls, or `"ret"` once the phase method is done. */
  #next(): void {
    const queued = this.#queue?.shift();
    if (queued !== undefined) this.#send(queued);
    else if (this.#handlerDone && !this.#failing && this.#replier !== undefined && !this.#ended) this.#finish();
  }

  #send(call: Call): void {
    const replier = this.#replier as Replier;
    let args = call.args;
    let last = args.length;
    while (last > 0 && args[last - 1] == null) last--;
    if (last !== args.length) args = args.slice(0, last);
    let sent: boolean;
    try {
      sent =
        replier.replyStep !== undefined
          ? replier.replyStep(this.#msgid, this.id, call.method, args)
          : replier.reply(this.#msgid, null, { EventId: this.id, Data: { Method: call.method, Args: args } });
    } catch (error) {
      if (this.#observer !== undefined) this.#callEnded(call.method, PdkCallOutcome.unsent, performance.now());
      call.reject(new PdkError(ErrorCodes.BadArgument, call.method, `an argument cannot be sent to Kong: ${describeFailure(error)}`));
      this.#next();
      return;
    }
    this.#replier = undefined;
    if (!sent || call.exit) {
      if (this.#observer !== undefined) this.#callEnded(call.method, sent ? PdkCallOutcome.exit : PdkCallOutcome.abandoned, performance.now());
      this.#end(sent ? (this.#outcome ?? EventOutcome.exit) : EventOutcome.abandoned);
      return;
    }
    if (this.#observer !== undefined) this.#sentAt = performance.now();
    this.#pending = call;
  }

  /** Tells the observer that a call ended without Kong's answer. */
  #callEnded(method: string, outcome: PdkCallOutcome, now: number): void {
    (this.#observer as ServerObserver).pdkCallEnded(this, method, outcome, now, now);
  }

  #handlerReturned(): void {
    this.#handlerDone = true;
    if (this.#ended || this.#failing) return;
    if (this.#pending === undefined && this.#replier !== undefined && (this.#queue === undefined || this.#queue.length === 0)) {
      this.#finish();
    }
  }

  #handlerFailed(error: unknown): void {
    this.#handlerDone = true;
    if (this.#ended || this.#failing) return;
    this.#failing = true;
    try {
      this.#host.failed(this, error);
    } catch {
      // The host's log must not keep the event from ending.
    }
    const closed = FAIL_CLOSED_PHASES.has(this.phase) && !this.instance.plugin.failOpen;
    this.#outcome ??= closed ? EventOutcome.failClosed : EventOutcome.failOpen;
    let description: string;
    try {
      description = this.#host.redact(this, describeFailure(error));
    } catch {
      description = 'a failure that cannot be described without its secrets';
    }
    const text = `[tspdk] plugin ${this.instance.plugin.name} failed in ${this.phase}${closed ? ', request ends with 500' : ''}: ${description}`;
    const afterLog = (): void => {
      if (this.#ended) return;
      if (closed) this.#submit({ method: 'kong.response.error', args: [500], shape: undefined, exit: true, resolve: ignore, reject: ignore });
      else if (this.#replier !== undefined) this.#finish();
    };
    this.#submit({ method: 'kong.log.err', args: [text], shape: undefined, exit: false, resolve: afterLog, reject: afterLog });
  }

  #finish(): void {
    const replier = this.#replier as Replier;
    this.#replier = undefined;
    if (replier.replyStep !== undefined) replier.replyStep(this.#msgid, this.id, undefined, NO_ARGS);
    else replier.reply(this.#msgid, null, { EventId: this.id, Data: 'ret' });
    this.#end(this.#outcome ?? EventOutcome.ok);
  }

  #end(outcome: EventOutcome): void {
    if (this.#ended) return;
    this.#ended = true;
    const observer = this.#observer;
    if (observer !== undefined) {
      const now = performance.now();
      if (this.#pending !== undefined) observer.pdkCallEnded(this, this.#pending.method, PdkCallOutcome.abandoned, this.#sentAt, now);
      observer.eventEnded(this, outcome, now);
    }
    this.#pending = undefined;
    this.#queue = undefined;
    this.#replier = undefined;
    this.#host.ended(this);
  }
}

/** Resolves `call` with its shaped result, or rejects it with what the shape threw. */
function settleShaped(call: Call, raw: unknown): void {
  let value: unknown;
  try {
    value = (call.shape as (raw: unknown, method: string) => unknown)(raw, call.method);
  } catch (error) {
    call.reject(error);
    return;
  }
  call.resolve(value);
}

