/**
 * One request through the host stand-in: plugins as configured in Kong, run
 * over the wire phase by phase in Kong's order (the same flow as
 * `runPlugin`), with their PDK calls answered by the test kit's fake Kong.
 *
 * @module
 */
import type { Phase } from '../../plugin/phases.ts';
import { FakeKong, type PdkHost, type PdkOutcome } from '../fake/fake-kong.ts';
import type { HostFixtures, RequestInit, WorldInit } from '../fake/options.ts';
import { serializeLog } from '../fake/serialize.ts';
import type { FakeState } from '../fake/state.ts';
import type { HostVersion } from '../fake/version.ts';
import { runFlow, type PhaseOutcome as FlowOutcome } from '../run/flow.ts';
import type { ClientResponse } from '../run/response.ts';
import type { ConfiguredPlugin, KongHost, PhaseOutcome } from './kong-host.ts';

/**
 * A request for the host stand-in: the client's request and the world
 * around it, as for `runPlugin` (`upstream`, `consumers`, `shared`, …), and
 * what a protocol test may change about Kong (`absent`, `failures`).
 */
export interface FakeRequestInit extends RequestInit, WorldInit, HostFixtures {}

/**
 * One request as the host stand-in ran it: the fake Kong that answered its
 * PDK calls ({@link FakeRequest.kong}, {@link FakeRequest.state}), and
 * views of it for protocol tests.
 */
export class FakeRequest implements PdkHost {
  /** The fake Kong that answered the PDK calls. */
  readonly kong: FakeKong;

  constructor(init: FakeRequestInit = {}) {
    this.kong = new FakeKong(init, init, init);
  }

  /** Runs one PDK function as Kong's host would, in `phase` (see {@link FakeKong.call}). */
  call(method: string, args: readonly unknown[], phase: string, version: HostVersion): PdkOutcome {
    return this.kong.call(method, args, phase, version);
  }

  /** The fake Kong's state: the request as received and as sent on, the response, contexts, logs. */
  get state(): FakeState {
    return this.kong.state;
  }

  /** Every PDK call the host answered: `[phase, method, args]` (`kong.calls` has the outcomes too). */
  get calls(): Array<[string, string, unknown[]]> {
    return this.kong.calls.map((call) => [call.phase, call.method, [...call.args]]);
  }

  /** `kong.log.*` lines (and Kong's own, such as `could not find pdk method`): `[level, message]`. */
  get logs(): Array<[string, string]> {
    return this.kong.state.logs.map((line) => [line.level, line.message]);
  }

  /** `kong.ctx.shared`. */
  get shared(): Map<string, unknown> {
    return this.kong.state.shared;
  }

  /** `ngx.ctx`. */
  get ngxCtx(): Map<string, unknown> {
    return this.kong.state.ngxCtx;
  }

  /** Headers of the request as it goes to the Service (lower-case names, every value). */
  get serviceHeaders(): Map<string, string[]> {
    return this.kong.state.service.headers;
  }

  /** The path of the request as it goes to the Service. */
  get servicePath(): string {
    return this.kong.state.service.path;
  }

  /** The body of the request as it goes to the Service. */
  get serviceBody(): Uint8Array {
    return this.kong.state.service.body;
  }

  /** Response headers as plugins and the Service left them. */
  get responseHeaders(): Map<string, string[]> {
    return this.kong.state.responseHeaders;
  }

  /** What `kong.log.serialize()` returns for this request, in Kong's shape. */
  serialize(): Record<string, unknown> {
    return serializeLog(this.kong.state);
  }
}

/** What the client got, and what happened on the way. */
export interface HostResponse {
  readonly status: number;
  /** Lower-case names, every value. */
  readonly headers: Map<string, string[]>;
  /**
   * The body: from the Service, its bytes; from `kong.response.exit` or
   * `error` (also a 500 for a broken plugin), decoded: JSON as a value,
   * anything else as text, `undefined` when empty.
   */
  readonly body: unknown;
  /** The response in full, as `runPlugin` gives it. */
  readonly response: ClientResponse;
  readonly request: FakeRequest;
  /** `[<plugin>:<phase>, outcome]`, in the order they ran. */
  readonly phases: Array<[string, PhaseOutcome]>;
  /** Errors Kong would have logged. */
  readonly errors: string[];
  /** The most connections that the calls of one event went over. */
  readonly hops: number;
}

const PHASES: readonly Phase[] = ['certificate', 'rewrite', 'access', 'response', 'preread', 'log'];

/** A response body as a protocol test reads it (see {@link HostResponse.body}). */
function bodyOf(response: ClientResponse): unknown {
  if (response.source === 'service') return response.body;
  if (response.body.length === 0) return undefined;
  if (!(response.header('content-type') ?? '').includes('json')) return response.text;
  try {
    return response.json();
  } catch {
    return response.text;
  }
}

/**
 * Runs one request through `plugins` over `host`'s connections of worker
 * `workerIndex`: for each phase, each plugin that has it, in the order
 * given. An exit ends the request for every later plugin and phase but
 * `log`; a Lua error in `rewrite` or `access` ends it with a 500.
 * @throws {@link UnsupportedPdkMethodError} when a plugin called a PDK
 *   function the test kit does not simulate.
 */
export async function requestThrough(host: KongHost, plugins: readonly ConfiguredPlugin[], init: FakeRequestInit, workerIndex: number): Promise<Omit<HostResponse, 'hops'>> {
  const request = new FakeRequest(init);
  const { state } = request.kong;
  const phases: Array<[string, PhaseOutcome]> = [];
  const errors: string[] = [];
  const runPhase = async (phase: Phase): Promise<FlowOutcome> => {
    let outcome: FlowOutcome = 'ret';
    for (const plugin of plugins) {
      if (!plugin.phases.includes(phase)) continue;
      if (phase !== 'log' && (state.exit !== undefined || outcome === 'aborted')) break;
      const result = await host.runPhase(plugin, phase, request, workerIndex, errors);
      phases.push([`${plugin.name}:${phase}`, result]);
      if (result === 'exit' || result === 'aborted') outcome = result;
    }
    return outcome;
  };
  const present = PHASES.filter((phase) => plugins.some((plugin) => plugin.phases.includes(phase)));
  const { response } = await runFlow(request.kong, present, runPhase);
  const headers = new Map(Object.entries(response.headers).map(([name, values]) => [name, [...values]]));
  return { status: response.status, headers, body: bodyOf(response), response, request, phases, errors };
}
