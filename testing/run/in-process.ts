/**
 * Runs a plugin's phase methods in this process against the fake Kong: a
 * {@link Bridge} per event gives the real PDK bindings the values Kong's
 * host would send, and ends the event the way the plugin server does
 * (`exit` never returns, a failure in `rewrite`/`access`/`preread` answers
 * 500 unless the plugin is fail-open, calls after the end are rejected).
 *
 * @module
 */
import type { Bridge } from '../../pdk/bridge.ts';
import { ErrorCodes, PdkError } from '../../pdk/errors.ts';
import { Kong } from '../../pdk/kong.ts';
import { phaseMethod, type Instance } from '../../server/rpc/instance.ts';
import { FAIL_CLOSED_PHASES, type Phase } from '../../plugin/phases.ts';
import { describeFailure } from '../../pdk/failure.ts';
import type { HostVersion } from '../fake/version.ts';
import type { KongVersionCheck } from '../../pdk/version-check.ts';
import { LuaError } from '../fake/errors.ts';
import type { FakeKong } from '../fake/fake-kong.ts';
import type { PhaseOutcome } from './flow.ts';
import { argsAsKongSeesThem, resultAsPluginSeesIt } from './wire-values.ts';

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** One event: the bridge the plugin's PDK calls go through. */
class FakeEvent implements Bridge {
  readonly phase: Phase;
  readonly #kong: FakeKong;
  readonly #version: HostVersion;
  readonly #end: (outcome: PhaseOutcome, error?: unknown) => void;
  ended = false;

  constructor(kong: FakeKong, phase: Phase, version: HostVersion, end: (outcome: PhaseOutcome, error?: unknown) => void) {
    this.#kong = kong;
    this.phase = phase;
    this.#version = version;
    this.#end = end;
  }

  call(method: string, args: readonly unknown[]): Promise<unknown> {
    if (this.ended) return Promise.reject(new PdkError(ErrorCodes.EventEnded, method, `the ${this.phase} event has ended`));
    let wire: unknown[];
    try {
      wire = argsAsKongSeesThem(args);
    } catch (error) {
      return Promise.reject(new PdkError(ErrorCodes.BadArgument, method, `an argument cannot be sent to Kong: ${(error as Error).message}`));
    }
    const outcome = this.#kong.run(method, wire, this.phase, this.#version);
    switch (outcome.kind) {
      case 'value':
        return Promise.resolve(resultAsPluginSeesIt(outcome.value));
      case 'fail':
        if (this.#kong.version(this.#version).failureOf(method) === 'step-error') return Promise.reject(new PdkError(ErrorCodes.PdkCallFailed, method, outcome.message));
        return Promise.resolve(undefined);
      case 'exit':
        this.ended = true;
        this.#end('exit');
        return never();
      case 'lua-error':
        this.ended = true;
        this.#end('aborted', new LuaError(outcome.message));
        return never();
      case 'unsupported':
        return Promise.reject(this.#kong.unsupported.at(-1) ?? new Error(outcome.message));
    }
  }

  exit(method: string, args: readonly unknown[]): Promise<never> {
    return this.call(method, args).then(() => never<never>());
  }
}

/** Options of {@link runPhaseInProcess}. */
interface InProcessOptions {
  readonly version: HostVersion;
  /** What a server started with `--kong-version` refuses; undefined: no check. */
  readonly check?: KongVersionCheck;
  /** A phase that has not finished after this many ms fails, as the server's event deadline. */
  readonly timeoutMs: number;
  /** Failures of phase methods and Lua errors are collected here. */
  readonly errors: unknown[];
}


/** Runs one phase method of `instance` against `kong`. */
export function runPhaseInProcess(instance: Instance, phase: Phase, kong: FakeKong, options: InProcessOptions): Promise<PhaseOutcome> {
  const method = phaseMethod(instance, phase);
  if (method === undefined) return Promise.resolve('ret');
  return new Promise<PhaseOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: PhaseOutcome, error?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      event.ended = true;
      if (error !== undefined) options.errors.push(error);
      resolve(outcome);
    };
    const failed = (error: unknown): void => {
      if (settled || event.ended) return;
      const closed = FAIL_CLOSED_PHASES.has(phase) && !instance.plugin.failOpen;
      const text = `[tspdk] plugin ${instance.plugin.name} failed in ${phase}${closed ? ', request ends with 500' : ''}: ${describeFailure(error)}`;
      kong.run('kong.log.err', [text], phase, options.version);
      if (closed) kong.run('kong.response.error', [500], phase, options.version);
      settle('failed', error);
    };
    const event = new FakeEvent(kong, phase, options.version, settle);
    const timer = setTimeout(() => failed(new Error(`the ${phase} phase did not answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    let result: unknown;
    try {
      result = method.call(instance.object, new Kong(options.check?.bridge(event, phase) ?? event));
    } catch (error) {
      failed(error);
      return;
    }
    Promise.resolve(result).then(
      () => settle('ret'),
      (error: unknown) => failed(error),
    );
  });
}
