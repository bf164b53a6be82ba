/**
 * Module resolution hook for logic reload, registered with `module.register`
 * on the first reload: a module imported with `?tspdk-reload=<n>` passes the
 * same parameter to the relative and absolute imports it makes, so a reload
 * re-runs the plugin's own helper modules too, not just its entry file.
 * Packages (bare specifiers, anything under `node_modules`) are shared, and
 * tspdk itself is never re-imported.
 *
 * @module
 */
import type { ResolveHook } from 'node:module';

const PARAMETER = 'tspdk-reload';

function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/') || specifier.startsWith('file:');
}

/** Propagates the reload generation from a reloaded module to its own files. */
export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const result = await nextResolve(specifier, context);
  const parent = context.parentURL;
  if (parent === undefined || !isPathSpecifier(specifier) || !result.url.startsWith('file:')) return result;
  const generation = new URL(parent).searchParams.get(PARAMETER);
  if (generation === null) return result;
  const url = new URL(result.url);
  if (url.pathname.includes('/node_modules/') || url.searchParams.has(PARAMETER)) return result;
  url.searchParams.set(PARAMETER, generation);
  return { ...result, url: url.href };
};
