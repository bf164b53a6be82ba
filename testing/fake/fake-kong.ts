/**
 * The fake Kong, the one behind `runPlugin` and the host stand-in
 * (`KongHost`): runs PDK functions by their Lua name against a
 * {@link FakeState}, answers with values in the form Kong's host sends them
 * (multi-maps through `fix_mmap`, raw bodies as bytes, `nil, err` as nil or
 * as a StepError on 2.x), and keeps the trace of every call. What depends on
 * the Kong version is asked of {@link KongVersion} (`version.ts`).
 *
 * @module
 */
import { pdkMethods } from '../../pdk/methods.ts';
import { emptyMap } from '../host/lua-msgpack.ts';
import { ExitSignal, Fail, type CallContext, type Handler } from './call.ts';
import { LuaError, UnsupportedPdkMethodError } from './errors.ts';
import { clientHandlers, clientTlsHandlers } from './handlers/client.ts';
import { ctxHandlers, nginxHandlers } from './handlers/context.ts';
import { logHandlers } from './handlers/log.ts';
import { nodeHandlers, telemetryHandlers, vaultHandlers } from './handlers/node.ts';
import { requestHandlers } from './handlers/request.ts';
import { responseHandlers } from './handlers/response.ts';
import { serviceHandlers, serviceRequestHandlers, serviceResponseHandlers } from './handlers/service.ts';
import type { HostFixtures, RequestInit, WorldInit } from './options.ts';
import { FakeState } from './state.ts';
import { UNSUPPORTED } from './unsupported.ts';
import { kongVersion, type HostVersion, type KongVersion } from './version.ts';

/** Every PDK function the fake Kong simulates, by Lua name. */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  ...requestHandlers,
  ...responseHandlers,
  ...serviceHandlers,
  ...serviceRequestHandlers,
  ...serviceResponseHandlers,
  ...clientHandlers,
  ...clientTlsHandlers,
  ...ctxHandlers,
  ...nginxHandlers,
  ...logHandlers,
  ...nodeHandlers,
  ...vaultHandlers,
  ...telemetryHandlers,
};

/** Results that go through the host's `fix_mmap`. */
const MULTI_MAPS = new Set(['kong.request.get_query', 'kong.request.get_headers', 'kong.response.get_headers', 'kong.service.response.get_headers']);
/** Results that go through the host's `fix_raw`. */
const RAW_BODIES = new Set(['kong.request.get_raw_body', 'kong.response.get_raw_body', 'kong.service.response.get_raw_body']);

/** What happened to one PDK call. */
export type CallOutcome =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'fail'; readonly message: string }
  | { readonly kind: 'exit' }
  | { readonly kind: 'lua-error'; readonly message: string }
  | { readonly kind: 'unsupported'; readonly message: string };

/** A PDK call's outcome as the host stand-in acts on it (an unsupported function is thrown instead). */
export type PdkOutcome = Exclude<CallOutcome, { readonly kind: 'unsupported' }>;

/** What the host stand-in (`KongHost`) runs the PDK calls of a plugin server against. */
export interface PdkHost {
  /**
   * Runs one PDK function as Kong's host would, in `phase`.
   * @throws {@link UnsupportedPdkMethodError} for a function the fake does not simulate.
   */
  call(method: string, args: readonly unknown[], phase: string, version: HostVersion): PdkOutcome;
}

/** One PDK call in the trace. */
export interface PdkCall {
  readonly phase: string;
  /** The exact Lua name. */
  readonly method: string;
  /** The arguments as Kong received them. */
  readonly args: readonly unknown[];
  readonly outcome: CallOutcome;
}

/** `fix_mmap`: a string becomes `[string]`, a flag `[]`, an empty table an empty map. */
function fixMultiMap(value: unknown): unknown {
  if (value === undefined || value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return emptyMap();
  return Object.fromEntries(entries.map(([key, item]) => [key, typeof item === 'string' ? [item] : item === true ? [] : item]));
}

/** Kong's host for one simulated request. */
export class FakeKong implements PdkHost {
  readonly state: FakeState;
  /** Every PDK call, in order. */
  readonly calls: PdkCall[] = [];
  /** Calls to functions the kit does not simulate. */
  readonly unsupported: UnsupportedPdkMethodError[] = [];
  readonly #absent: readonly string[];
  readonly #failures: Readonly<Record<string, string>>;
  readonly #versions = new Map<HostVersion, KongVersion>();

  constructor(request: RequestInit = {}, world: WorldInit = {}, fixtures: HostFixtures = {}) {
    this.state = new FakeState(request, world);
    this.#absent = fixtures.absent ?? [];
    this.#failures = fixtures.failures ?? {};
  }

  /** The Kong `version` stands for, without the functions this request's fixtures took away. */
  version(version: HostVersion): KongVersion {
    let kong = this.#versions.get(version);
    if (kong === undefined) this.#versions.set(version, (kong = kongVersion(version, this.#absent)));
    return kong;
  }

  /**
   * Runs one PDK function as Kong's host would in `phase`, for the host
   * stand-in (`KongHost`): an unsupported function is recorded and raised.
   * @throws {@link UnsupportedPdkMethodError}
   */
  call(method: string, args: readonly unknown[], phase: string, version: HostVersion): PdkOutcome {
    const outcome = this.run(method, args, phase, version);
    switch (outcome.kind) {
      case 'unsupported':
        throw this.unsupported.at(-1) as UnsupportedPdkMethodError;
      default:
        return outcome;
    }
  }

  /** Runs one PDK function and records it in {@link calls}. */
  run(method: string, args: readonly unknown[], phase: string, version: HostVersion): CallOutcome {
    const outcome = this.#dispatch(method, args, phase, version);
    this.calls.push({ phase, method, args: [...args], outcome });
    return outcome;
  }

  #dispatch(method: string, args: readonly unknown[], phase: string, version: HostVersion): CallOutcome {
    const kong = this.version(version);
    if (!kong.has(method, this.state.world.subsystem)) {
      this.state.log('err', `could not find pdk method: ${method}`, phase);
      return { kind: 'value', value: undefined };
    }
    if (Object.hasOwn(this.#failures, method)) return this.#failed(kong, method, String(this.#failures[method]));
    const handler = HANDLERS[method];
    if (handler === undefined) {
      const reason =
        UNSUPPORTED[method] ??
        (method in pdkMethods ? 'no simulation yet' : 'not a Kong PDK function (Kong would log "could not find pdk method" and answer nil)');
      const error = new UnsupportedPdkMethodError(method, reason);
      this.unsupported.push(error);
      return { kind: 'unsupported', message: error.message };
    }
    const context: CallContext = { state: this.state, phase, method, version };
    // Lua drops the arguments a function does not take (max_allowed_file_size before 3.8, …).
    const count = kong.argumentCount(method);
    const taken = count !== undefined && args.length > count ? args.slice(0, count) : args;
    let result: unknown;
    try {
      result = handler(context, taken);
    } catch (error) {
      if (error instanceof LuaError) return { kind: 'lua-error', message: error.message };
      throw error;
    }
    if (result instanceof ExitSignal) return { kind: 'exit' };
    if (result instanceof Fail) return this.#failed(kong, method, result.message);
    if (MULTI_MAPS.has(method)) return { kind: 'value', value: fixMultiMap(result) };
    if (RAW_BODIES.has(method) && result instanceof Uint8Array) return { kind: 'value', value: kong.rawBody(result) };
    return { kind: 'value', value: result };
  }

  /**
   * A Lua `nil, err`. Where the host packs the result as bin (raw bodies on
   * 3.x), the nil makes its MessagePack encoder fail: the event aborts.
   */
  #failed(kong: KongVersion, method: string, message: string): CallOutcome {
    if (RAW_BODIES.has(method) && kong.packsRawBodies) {
      return { kind: 'lua-error', message: `${method} returned nil (${message}), which the host cannot pack as bin: attempt to get length of a nil value` };
    }
    return { kind: 'fail', message };
  }
}
