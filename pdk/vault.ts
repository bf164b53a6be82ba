/**
 * `kong.vault`: secrets referenced as `{vault://…}`.
 *
 * Lua source: `kong/pdk/vault.lua`. `try(callback, options)` takes a Lua
 * function and `init_worker()` is Kong's own start-up hook; neither is bound.
 *
 * @module
 */
import type { Bridge } from './bridge.ts';
import type { VaultReference } from './entities.ts';
import { asBoolean, asOptionalRecord, asOptionalString, asVoid } from './shape.ts';
import { ask, sig } from './signature.ts';

/**
 * Options with secrets and their references, as `kong.vault.update` takes
 * them: `$refs` maps field names to references, at any level of nesting.
 */
export type VaultOptions = { readonly $refs?: Readonly<Record<string, string>>; readonly [field: string]: unknown };

/** Anything that may contain references, for `kong.vault.warmup`. */
export type VaultWarmupInput = Readonly<Record<string, unknown>> | readonly unknown[];

/** The Lua functions of `kong.vault` and how they travel over MsgPack. */
export const vaultMethods = {
  'kong.vault.get': sig<[reference: string], string | undefined>(asOptionalString),
  'kong.vault.is_reference': sig<[reference: string], boolean>(asBoolean),
  'kong.vault.parse_reference': sig<[reference: string], VaultReference | undefined>(asOptionalRecord),
  'kong.vault.update': sig<[options: VaultOptions], VaultOptions | undefined>(asOptionalRecord),
  'kong.vault.flush': sig<[], void>(asVoid),
  'kong.vault.warmup': sig<[input: VaultWarmupInput], void>(asVoid),
} as const;

/** `kong.vault`: resolve and inspect secret references. */
export class Vault {
  readonly #bridge: Bridge;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /**
   * `kong.vault.get(reference)`: the secret a reference such as
   * `{vault://env/my-secret}` points to, fetched through Kong's secret
   * cache, or `undefined` when it cannot be resolved (Kong's error text is
   * lost on 3.x; 2.x rejects with `PDK_CALL_FAILED`).
   *
   * Phases: all.
   *
   * @since Kong 2.8.0
   */
  get(reference: string): Promise<string | undefined> {
    return ask(this.#bridge, vaultMethods, 'kong.vault.get', reference);
  }

  /**
   * `kong.vault.is_reference(reference)`: whether the string has the form of
   * a reference (`{vault://` … `}`); it is not resolved.
   *
   * Phases: all.
   *
   * @since Kong 2.8.0
   */
  isReference(reference: string): Promise<boolean> {
    return ask(this.#bridge, vaultMethods, 'kong.vault.is_reference', reference);
  }

  /**
   * `kong.vault.parse_reference(reference)`: the parts of a reference (vault
   * name, resource, key, query options, version), or `undefined` when it is
   * not a valid reference (on Kong 2.x, which reports why, the promise
   * rejects with `PDK_CALL_FAILED` instead).
   *
   * Phases: all.
   *
   * @since Kong 2.8.0
   */
  parseReference(reference: string): Promise<VaultReference | undefined> {
    return ask(this.#bridge, vaultMethods, 'kong.vault.parse_reference', reference);
  }

  /**
   * `kong.vault.update(options)`: returns `options` with every field named
   * in a `$refs` table replaced by the current value of its reference, from
   * Kong's secret cache (it does not fetch secrets that are not cached).
   * Kong marks this helper as experimental. The copy Kong updated is sent
   * back; `options` itself is not modified.
   *
   * Phases: all.
   *
   * @since Kong 3.4.0
   */
  update<T extends VaultOptions>(options: T): Promise<T | undefined> {
    return ask(this.#bridge, vaultMethods, 'kong.vault.update', options) as Promise<T | undefined>;
  }

  /**
   * `kong.vault.flush()`: empties this worker's cache of resolved secrets
   * and schedules a rotation of all secrets.
   *
   * Phases: all.
   *
   * @since Kong 3.3.0
   */
  flush(): Promise<void> {
    return ask(this.#bridge, vaultMethods, 'kong.vault.flush');
  }

  /**
   * `kong.vault.warmup(input)`: resolves every reference found among the keys
   * and values of `input` (recursively), so that later lookups hit the cache.
   *
   * Phases: all.
   *
   * @since Kong 3.5.0
   */
  warmup(input: VaultWarmupInput): Promise<void> {
    return ask(this.#bridge, vaultMethods, 'kong.vault.warmup', input);
  }
}
