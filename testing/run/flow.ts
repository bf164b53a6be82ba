/**
 * Kong's order of phases for one request, the same for the in-process
 * runner and the wire helper: `certificate` (TLS only), `rewrite`, `access`,
 * the Service, `response` (only for plugins that have it: buffered
 * proxying), then `log` after the response, whatever happened. An exit or a
 * failure that ends the request skips every later phase but `log`.
 *
 * @module
 */
import type { Phase } from '../../plugin/phases.ts';
import { copyBag } from '../fake/headers.ts';
import type { FakeKong } from '../fake/fake-kong.ts';
import { responseHandlers } from '../fake/handlers/response.ts';
import { parseArgs } from '../fake/http.ts';
import { echoUpstream, normalizeReply, type ServiceRequestSnapshot } from '../fake/upstream.ts';
import { ClientResponse } from './response.ts';

/** How one phase ended. */
export type PhaseOutcome =
  /** The phase method returned. */
  | 'ret'
  /** `kong.response.exit` or `error` ended the request. */
  | 'exit'
  /** The phase method threw or rejected (a fail-closed phase then answers 500). */
  | 'failed'
  /** A PDK call raised a Lua error: Kong aborted the event (500 in `rewrite`/`access`). */
  | 'aborted';

/** A phase that ran. */
export interface PhaseRecord {
  readonly phase: Phase;
  readonly outcome: PhaseOutcome;
}

/** Runs one phase of the plugin against the fake Kong. */
type PhaseRunner = (phase: Phase) => Promise<PhaseOutcome>;

const ENDS_REQUEST: ReadonlySet<Phase> = new Set<Phase>(['rewrite', 'access', 'preread']);
const utf8 = new TextDecoder();

/** The request as it leaves for the Service. */
function snapshot(kong: FakeKong): ServiceRequestSnapshot {
  const { service, serviceEntity } = kong.state;
  const query: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(parseArgs(service.rawQuery))) {
    query[name] = (Array.isArray(value) ? value : [value]).map((item) => (item === true ? '' : item));
  }
  const headers = Object.fromEntries([...service.headers].map(([name, values]) => [name, [...values]]));
  return {
    method: service.method,
    scheme: service.scheme,
    host: service.target?.host ?? service.upstream ?? serviceEntity.host,
    port: service.target?.port ?? serviceEntity.port,
    path: service.path,
    rawQuery: service.rawQuery,
    query,
    headers,
    body: service.body,
    text: utf8.decode(service.body),
    ...(service.upstream === undefined ? {} : { upstream: service.upstream }),
    ...(service.target === undefined ? {} : { target: { ...service.target } }),
    balancer: { ...service.balancer },
  };
}

/** A 500 as Kong answers when a plugin broke the request. */
function internalError(kong: FakeKong, phase: Phase): void {
  if (kong.state.exit !== undefined) return;
  responseHandlers['kong.response.error']?.({ state: kong.state, phase, method: 'kong.response.error', version: '3.x' }, [500]);
}

/** What the flow produced. */
export interface FlowResult {
  readonly response: ClientResponse;
  readonly serviceRequest: ServiceRequestSnapshot | undefined;
  readonly phases: readonly PhaseRecord[];
}

/**
 * Runs `phases` (the plugin's) in Kong's order through `runPhase`, with the
 * Service in between.
 */
export async function runFlow(kong: FakeKong, phases: readonly Phase[], runPhase: PhaseRunner): Promise<FlowResult> {
  const { state } = kong;
  const records: PhaseRecord[] = [];
  const has = new Set(phases);
  let ended = false;
  const run = async (phase: Phase): Promise<void> => {
    if (!has.has(phase) || ended) return;
    const outcome = await runPhase(phase);
    records.push({ phase, outcome });
    if (outcome === 'exit' || state.exit !== undefined) ended = true;
    else if (outcome === 'aborted' && ENDS_REQUEST.has(phase)) {
      internalError(kong, phase);
      ended = true;
    }
  };

  const stream = state.world.subsystem === 'stream';
  if (state.scheme === 'https' || state.world.tls !== undefined) await run('certificate');
  let serviceRequest: ServiceRequestSnapshot | undefined;
  if (stream) {
    await run('preread');
  } else {
    await run('rewrite');
    await run('access');
    if (!ended) {
      serviceRequest = snapshot(kong);
      const upstream = state.world.upstream ?? echoUpstream;
      const reply = normalizeReply(await upstream(serviceRequest));
      const setByPlugins = state.responseHeaders;
      state.upstream = reply;
      state.proxied = true;
      state.status = undefined;
      state.responseHeaders = copyBag(reply.headers);
      for (const [name, values] of setByPlugins) state.responseHeaders.set(name, values);
      await run('response');
    }
  }
  const exit = state.exit;
  const response = exit
    ? new ClientResponse(exit.status, exit.headers, exit.body, exit.source)
    : new ClientResponse(state.finalStatus, state.responseHeaders, state.upstream?.body ?? new Uint8Array(0), state.source);
  ended = false;
  await run('log');
  return { response, serviceRequest, phases: records };
}
