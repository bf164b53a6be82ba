/**
 * The control channel between the primary and its workers (`--workers N`):
 * rare messages only. Nothing on the per-event path goes through the
 * primary: Kong's connections are handed to workers, and Steps that land on
 * the wrong worker go straight to their owner over a peer socket
 * (see forwarder.ts).
 *
 * Every message is plain JSON-safe data (it crosses `process.send`).
 *
 * @module
 */
import type { InstanceRecord } from '../rpc/instance.ts';
import type { SharedRequest, SharedResult } from '../shared/store.ts';

/** Worker → primary. */
export type WorkerMessage =
  /** Serving: its peer socket listens and it accepts connections. */
  | { readonly t: 'ready' }
  /** A connection from Kong that the primary handed over has closed (the primary balances by open connections). */
  | { readonly t: 'conn-closed' }
  /** Asks the origin of instance `id` for its record, for a request received at `askedAt` (epoch ms); answered by `fetched`. */
  | { readonly t: 'fetch'; readonly seq: number; readonly id: number; readonly askedAt: number }
  /** Answers a `fetch` relayed from worker `to`. */
  | { readonly t: 'fetched'; readonly seq: number; readonly to: number; readonly record: InstanceRecord | null }
  /** Kong closed instance `id` through this worker: the others drop their copies. */
  | { readonly t: 'closed'; readonly id: number }
  /** An operation on the primary's shared store (tspdk/shared). */
  | { readonly t: 'shared'; readonly seq: number; readonly request: SharedRequest }
  /** Asks every worker's status (`plugin.GetStatus` describes the whole server); answered by `statuses`. */
  | { readonly t: 'status'; readonly seq: number }
  /** This worker's part of status gathering `gather`. */
  | { readonly t: 'status-part'; readonly gather: number; readonly status: Record<string, unknown> }
  /**
   * This worker's metrics (`--metrics`), as prom-client's `getMetricsAsJSON`
   * gives them: the answer to `metrics-query` `gather`, or a periodic report
   * (`gather` null) that keeps its counts once it is gone.
   */
  | { readonly t: 'metrics'; readonly gather: number | null; readonly metrics: readonly unknown[] };

/** Primary → worker (a new connection from Kong travels as `conn` with the socket handle). */
export type PrimaryMessage =
  | { readonly t: 'conn' }
  /** The server is stopping and no event runs anywhere: exit now. */
  | { readonly t: 'exit' }
  /** Worker `from` asks for the record of instance `id` (this worker is its origin), for a request it received at `askedAt`. */
  | { readonly t: 'fetch'; readonly seq: number; readonly id: number; readonly from: number; readonly askedAt: number }
  /** The answer to this worker's `fetch`; `null` when the origin does not know the id or is gone. */
  | { readonly t: 'fetched'; readonly seq: number; readonly record: InstanceRecord | null }
  /** Drop the copy of instance `id`. */
  | { readonly t: 'forget'; readonly id: number }
  /** Worker `slot` exited: drop every copy of the instances it started. */
  | { readonly t: 'forget-slot'; readonly slot: number }
  | { readonly t: 'shared-result'; readonly seq: number; readonly result: SharedResult }
  /** Send this worker's status as `status-part` of gathering `gather`. */
  | { readonly t: 'status-query'; readonly gather: number }
  /** Send this worker's metrics now, as `metrics` of gathering `gather`. */
  | { readonly t: 'metrics-query'; readonly gather: number }
  /** Every ready worker's status, for this worker's `status` request `seq`. */
  | { readonly t: 'statuses'; readonly seq: number; readonly statuses: ReadonlyArray<Record<string, unknown>> };

/** Whether `value` looks like a control message (has a string `t`). */
export function isControlMessage(value: unknown): value is { readonly t: string } {
  return typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string';
}
