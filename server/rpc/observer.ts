/**
 * What the server tells about itself while it works, for metrics and traces
 * (`--metrics`, `--otlp-endpoint`): one small interface that the rpc and
 * wire layers call at a few points, and the outcome names in one place.
 *
 * Nothing here loads a metrics or tracing library: server/observe/ holds
 * the observers, imported only when one of them is switched on. Without an
 * observer the server holds `undefined` and each point costs one check.
 *
 * @module
 */
import type { Phase } from '../../plugin/phases.ts';

/**
 * How an event ended: the `outcome` label of `tspdk_events_total` and the
 * attribute of an event's span. One value per way an event can end; a new
 * way of ending gets its name here.
 */
export const EventOutcome = Object.freeze({
  /** The phase method returned; Kong got `"ret"`. */
  ok: 'ok',
  /** The plugin ended the request with `kong.response.exit` or `error`. */
  exit: 'exit',
  /** The phase failed (threw, rejected, bad config, no such phase) and the request ended with a 500. */
  failClosed: 'fail_closed',
  /** The phase failed and the request went on (`failOpen`, or a phase that cannot stop it, such as `log`). */
  failOpen: 'fail_open',
  /** The phase kept Kong waiting past `--event-timeout`. */
  timeout: 'timeout',
  /** Kong never sent the Step the event waited for, or its connection was gone when the event answered. */
  abandoned: 'abandoned',
} as const);

export type EventOutcome = (typeof EventOutcome)[keyof typeof EventOutcome];

/** Every {@link EventOutcome}, in a fixed order (metrics index their counts by it). */
export const EVENT_OUTCOMES: readonly EventOutcome[] = Object.freeze(Object.values(EventOutcome));

/** How a PDK call ended: the `outcome` label of `tspdk_pdk_calls_total`. */
export const PdkCallOutcome = Object.freeze({
  /** Kong answered with a result. */
  ok: 'ok',
  /** Kong answered `plugin.StepError` (the Lua function failed). */
  error: 'error',
  /** `kong.response.exit`/`error`: sent, and by design never answered. */
  exit: 'exit',
  /** The event ended (timed out, abandoned) before Kong answered. */
  abandoned: 'abandoned',
  /** The call could not be sent (an argument MessagePack cannot carry). */
  unsent: 'unsent',
} as const);

export type PdkCallOutcome = (typeof PdkCallOutcome)[keyof typeof PdkCallOutcome];

/** Every {@link PdkCallOutcome}, in a fixed order. */
export const PDK_CALL_OUTCOMES: readonly PdkCallOutcome[] = Object.freeze(Object.values(PdkCallOutcome));

/** Why an RPC from Kong was answered with an error, or its connection closed: the `kind` label of `tspdk_rpc_errors_total`. */
export const RpcErrorKind = Object.freeze({
  /** A request that decodes but is not a request tspdk can serve (bad params, unknown method or phase). */
  badRequest: 'bad_request',
  /** `No plugin instance N`: Kong then starts the instance again. */
  noInstance: 'no_instance',
  /** A Step for an event that is not running, or not waiting for a result. */
  noEvent: 'no_event',
  /** A message that is not valid MessagePack, or not `[0, msgid, method, params]`. */
  malformed: 'malformed',
  /** A stream that cannot be framed (or a message over `--max-message-size`): the connection is closed. */
  unreadable: 'unreadable',
  /** A bug in tspdk: logged with its stack. */
  internal: 'internal',
} as const);

export type RpcErrorKind = (typeof RpcErrorKind)[keyof typeof RpcErrorKind];

/** Every {@link RpcErrorKind}, in a fixed order. */
export const RPC_ERROR_KINDS: readonly RpcErrorKind[] = Object.freeze(Object.values(RpcErrorKind));

/** An event as observers see it. */
export interface ObservedEvent {
  readonly id: number;
  readonly phase: Phase;
  readonly instance: { readonly id: number; readonly plugin: { readonly name: string } };
  /** `performance.now()` when Kong's HandleEvent arrived. */
  readonly startedAt: number;
  /** The observer's own state for this event (a tracer's span); `undefined` until it sets it. */
  observation: unknown;
}

/**
 * What a server reports. Times are `performance.now()` milliseconds. Every
 * method must be cheap and must not throw: it runs on the event's path.
 */
export interface ServerObserver {
  /**
   * The request header to read (one `kong.request.get_header` round trip)
   * before the phase method of `event` runs, or `undefined` to run it at
   * once. A tracer asks for `traceparent` on the events it traces.
   */
  headerFor(event: ObservedEvent): string | undefined;
  /**
   * The event is about to run its phase method; `header` is what
   * {@link headerFor}'s read returned. Returns whether the observer wants
   * the event's further reports ({@link pdkCallEnded}, {@link eventEnded}):
   * false lets the event skip them and the clock reads they take, which is
   * what keeps an event that a tracer does not sample at the cost of its
   * ratio draw.
   */
  eventStarted(event: ObservedEvent, header: unknown): boolean;
  /** The event ended (it will send nothing more). */
  eventEnded(event: ObservedEvent, outcome: EventOutcome, now: number): void;
  /** A PDK call of `event` ended; `sentAt` is when it went to Kong. */
  pdkCallEnded(event: ObservedEvent, method: string, outcome: PdkCallOutcome, sentAt: number, now: number): void;
  /** An RPC was answered with an error, or a connection closed for what it sent. */
  rpcError(kind: RpcErrorKind): void;
  /** A reload of the plugin code (SIGHUP, `tspdk reload`) swapped the code in, or was refused. */
  reloaded(outcome: ReloadOutcome): void;
}

/** The `outcome` label of `tspdk_reloads_total`. */
export type ReloadOutcome = 'reloaded' | 'refused';
