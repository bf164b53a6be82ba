/**
 * Running a plugin through simulated requests, in this process, with the
 * real PDK bindings over a fake Kong.
 *
 * @module
 */
import { definePlugin, type PluginClass, type PluginDefinition } from '../../plugin/definition.ts';
import { createInstance, type Instance } from '../../server/rpc/instance.ts';
import { schemaOf } from '../../schema/index.ts';
import { kongVersion, versionCheckFor, type HostVersion } from '../fake/version.ts';
import { FakeKong } from '../fake/fake-kong.ts';
import type { RequestInit, WorldInit } from '../fake/options.ts';
import { runFlow } from './flow.ts';
import { runPhaseInProcess } from './in-process.ts';
import { buildResult, type RunResult } from './result.ts';

/** A plugin as the kit accepts it: its class, or what `serve(...)` returned. */
export type PluginUnderTest = PluginClass | PluginDefinition;

/** The data fields of a plugin object (its config), methods left out. */
type ConfigFields<I> = { [K in keyof I as I[K] extends (...args: never[]) => unknown ? never : K]: I[K] };

/** Every field optional, at every depth (Kong fills in defaults, nested ones too). */
type DeepPartial<T> = T extends readonly (infer E)[] ? readonly DeepPartial<E>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/**
 * The config a test may give for plugin `P`: for a class, its config fields,
 * all optional (so a misspelled field or a wrong type does not compile); for
 * what `serve(...)` returned, any record. To try an invalid config on
 * purpose, use {@link checkConfig} or a cast.
 */
export type ConfigInput<P> = P extends new () => infer I ? DeepPartial<ConfigFields<I>> : Readonly<Record<string, unknown>>;

/** The world around the request, and how to run it. */
export interface RunOptions extends WorldInit {
  /**
   * The Kong release to run the plugin as: `'2.8'`, `'3.4'`, `'3.4.2'`,
   * `'master'`, … (a line stands for every release of it), or `'2.x'` (2.8)
   * and `'3.x'` (the newest release in tspdk's table of PDK functions, the
   * default). Its PDK functions, the arguments they take, how its host
   * reports their errors (StepError on 2.x) and packs raw bodies all come
   * from the table generated out of Kong's sources.
   */
  readonly kongVersion?: HostVersion;
  /** @deprecated The old name of {@link RunOptions.kongVersion}, still honoured. */
  readonly version?: HostVersion;
  /**
   * Also do what a plugin server started with `--kong-version` does: a call
   * to a function that version lacks rejects at once with `PDK_UNAVAILABLE`
   * instead of reaching Kong (which logs `could not find pdk method` and
   * answers nil). Defaults to `false`, a server without `--kong-version`.
   */
  readonly checkVersion?: boolean;
  /** A phase that has not finished after this many ms fails. Defaults to 5000. */
  readonly timeoutMs?: number;
}

/** The config is not valid for the plugin's schema. */
export class PluginConfigError extends Error {
  /** Kong's messages, one per invalid field: `config.limit: value should be between 1 and 100`. */
  readonly problems: readonly string[];

  constructor(name: string, problems: readonly string[]) {
    super(`invalid config for plugin ${name}: ${problems.join('; ')}`);
    this.problems = problems;
    Object.defineProperty(this, 'name', { value: 'PluginConfigError', enumerable: false, configurable: true });
  }
}

/** The definition of a plugin given as a class or as `serve(...)`'s result. */
function definitionOf(plugin: PluginUnderTest): PluginDefinition {
  if (typeof plugin === 'function') return definePlugin(plugin, { name: 'plugin-under-test', version: '0.0.0', priority: 0 });
  return plugin;
}

/**
 * Validates `config` as the plugin server does at `StartInstance`: Kong's
 * messages for invalid fields, the config with defaults applied.
 */
export function checkConfig(plugin: PluginUnderTest, config: unknown = {}): { values: Record<string, unknown>; errors: string[] } {
  const { values, errors } = schemaOf(definitionOf(plugin).pluginClass).apply(config);
  return { values: values, errors: [...errors] };
}

/**
 * The Kong version `options` ask for (`kongVersion`, or its old name
 * `version`), checked against the table.
 * @throws {@link TypeError} for an unknown version, or both names with different values.
 */
export function kongVersionOf(options: Pick<RunOptions, 'kongVersion' | 'version'>): HostVersion {
  const { kongVersion: given, version: old } = options;
  if (given !== undefined && old !== undefined && given !== old) {
    throw new TypeError(`got both kongVersion (${given}) and version (${old}, its old name); give kongVersion only`);
  }
  const version = given ?? old ?? '3.x';
  kongVersion(version);
  return version;
}

let nextId = 1;

/**
 * One plugin instance (one config), for several simulated requests: the
 * plugin object lives on between requests, as in the plugin server.
 */
export class PluginInstance<P extends PluginUnderTest = PluginUnderTest> {
  readonly definition: PluginDefinition;
  readonly #instance: Instance;

  /**
   * @throws {@link PluginConfigError} when the config is invalid (unknown keys are ignored, as in production).
   */
  constructor(plugin: P, config: ConfigInput<P> = {} as ConfigInput<P>) {
    this.definition = definitionOf(plugin);
    this.#instance = createInstance(nextId++, this.definition, JSON.stringify(config));
    if (this.#instance.problems.length > 0) throw new PluginConfigError(this.definition.name, this.#instance.problems);
  }

  /** The plugin object: an instance of the class with its config fields. */
  get object(): object {
    return this.#instance.object;
  }

  /** The config after validation and defaults. */
  get config(): Readonly<Record<string, unknown>> {
    return this.#instance.config;
  }

  /**
   * Pushes one request through the plugin's phases in Kong's order.
   * @throws {@link UnsupportedPdkMethodError} when the plugin called a PDK
   *   function the kit does not simulate (even if the plugin caught it).
   */
  async run(request: RequestInit = {}, options: RunOptions = {}): Promise<RunResult> {
    const version = kongVersionOf(options);
    const kong = new FakeKong(request, options);
    const errors: unknown[] = [];
    const check = options.checkVersion === true ? versionCheckFor(version) : undefined;
    const settings = { version, check, timeoutMs: options.timeoutMs ?? 5000, errors } as const;
    const flow = await runFlow(kong, this.definition.phases, (phase) => runPhaseInProcess(this.#instance, phase, kong, settings));
    const [unsupported] = kong.unsupported;
    if (unsupported !== undefined) throw unsupported;
    return buildResult(kong, flow, errors);
  }
}

/**
 * Runs `plugin` with `config` through one simulated request: `certificate`
 * (for https), `rewrite`, `access`, the Service (an echo unless
 * `options.upstream` is given), `response` (if the plugin has it), `log`.
 * Rejects with {@link PluginConfigError} when the config is invalid, and
 * with {@link UnsupportedPdkMethodError} when the plugin called a PDK
 * function the kit does not simulate.
 *
 * @example
 * const { response, serviceRequest } = await runPlugin(KeyAuth, config, { headers: { apikey: 'k1' } });
 * assert.equal(response.status, 200);
 */
export async function runPlugin<P extends PluginUnderTest>(
  plugin: P,
  config: ConfigInput<P> = {} as ConfigInput<P>,
  request: RequestInit = {},
  options: RunOptions = {},
): Promise<RunResult> {
  return new PluginInstance<P>(plugin, config).run(request, options);
}
