/**
 * The bound PDK functions the fake Kong does not simulate, each with the
 * reason. Calling one fails the run with an {@link UnsupportedPdkMethodError}
 * naming it; a test in `test/testing/` checks that every function in
 * `pdkMethods` is either simulated or listed here.
 *
 * @module
 */

/** Lua name → why the kit does not simulate it. */
export const UNSUPPORTED: Readonly<Record<string, string>> = {
  'kong.vault.update': 'it resolves vault references inside a whole config table against real vaults; give the resolved config to the test instead',
  'kong.vault.flush': 'the fake Kong has no secret cache to flush',
  'kong.vault.warmup': 'the fake Kong has no secret cache to warm up',
};
