/**
 * What a simulated request returns to the test.
 *
 * @module
 */
import type { Consumer, Credential } from '../../pdk/entities.ts';
import type { FakeKong, PdkCall } from '../fake/fake-kong.ts';
import type { FakeState, LogLine } from '../fake/state.ts';
import type { ServiceRequestSnapshot } from '../fake/upstream.ts';
import { serializeLog } from '../fake/serialize.ts';
import type { FlowResult, PhaseRecord } from './flow.ts';
import type { ClientResponse } from './response.ts';

/** The outcome of one simulated request. */
export interface RunResult {
  /** What the client got. */
  readonly response: ClientResponse;
  /** The request as it was sent to the Service; `undefined` when the request ended before it. */
  readonly serviceRequest: ServiceRequestSnapshot | undefined;
  /** Lines written with `kong.log.*` (and the plugin server's own error lines), in order. */
  readonly logs: readonly LogLine[];
  /** Every PDK call, in order: phase, Lua name, arguments as Kong got them, outcome. */
  readonly calls: readonly PdkCall[];
  /** The phases that ran, in order, and how each ended. */
  readonly phases: readonly PhaseRecord[];
  /** Why phases failed: what the plugin threw, Lua errors from PDK calls. Empty when all went well. */
  readonly errors: readonly unknown[];
  /** `kong.ctx.shared` after the request. */
  readonly shared: Readonly<Record<string, unknown>>;
  /** `ngx.ctx` after the request. */
  readonly ngxCtx: Readonly<Record<string, unknown>>;
  /** The consumer the request was authenticated as. */
  readonly consumer: Consumer | undefined;
  /** The credential attached to the request. */
  readonly credential: Credential | undefined;
  /** What `kong.log.serialize()` returns for this request. */
  readonly serialized: Record<string, unknown>;
  /** The fake Kong's state, for anything else. */
  readonly state: FakeState;
}

/** Assembles the result of a run. */
export function buildResult(kong: FakeKong, flow: FlowResult, errors: readonly unknown[]): RunResult {
  const { state } = kong;
  return {
    response: flow.response,
    serviceRequest: flow.serviceRequest,
    logs: state.logs,
    calls: kong.calls,
    phases: flow.phases,
    errors,
    shared: Object.fromEntries(state.shared),
    ngxCtx: Object.fromEntries(state.ngxCtx),
    consumer: state.consumer,
    credential: state.credential,
    get serialized() {
      return serializeLog(state);
    },
    state,
  };
}
