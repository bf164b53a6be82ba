/**
 * Loading plugin modules for the tool commands (`dump`, `kong-conf`,
 * `schema`, `install`): load failures are reported on stderr as plain text
 * and skipped; duplicate names and missing paths fail the command.
 *
 * @module
 */
import { readdirSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { describeFailure, loadPlugins, type LoadOptions, type LoadResult } from '../server/modules/loader.ts';
import { CliError, warn } from './output.ts';

/** Loads `paths` and reports every skipped module on stderr. */
export async function loadForTool(paths: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  let result: LoadResult;
  try {
    result = await loadPlugins(paths, options);
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
  for (const failure of result.failures) warn(describeFailure(failure));
  return result;
}

/** TypeScript sources (not declarations) directly in the directories of `paths`, which the loader does not load. */
function typeScriptSources(paths: readonly string[]): string[] {
  const found: string[] = [];
  for (const path of paths) {
    try {
      if (!statSync(path).isDirectory()) continue;
      for (const name of readdirSync(path)) if (/\.[cm]?ts$/.test(name) && !/\.d\.[cm]?ts$/.test(name)) found.push(name);
    } catch {
      // A path that vanished: the loader reported it.
    }
  }
  return found;
}

/**
 * The error of a command that found no plugin in `paths`: how a file declares
 * one, and what was found instead (modules without a plugin, TypeScript
 * sources, modules that failed to load).
 */
export function noPluginFound(paths: readonly string[], loaded: LoadResult, exitCode = 1): CliError {
  const lines = [
    `no plugin found in ${paths.join(', ')}. A plugin file declares its plugin by calling serve(MyPlugin, { name, version, priority }) ` +
      'at its top level (or exports the result of serve() or definePlugin() as its default).',
  ];
  if (loaded.helpers.length > 0) lines.push(`  loaded, but declare no plugin: ${loaded.helpers.map((file) => basename(file)).join(', ')}`);
  const sources = typeScriptSources(paths);
  if (sources.length > 0) {
    lines.push(
      `  not loaded, TypeScript sources: ${sources.join(', ')}; compile them (npx tsc, or npm run build) and point at the .js files tsc writes (for example dist/src/)`,
    );
  }
  if (loaded.failures.length > 0) lines.push(`  ${loaded.failures.length} module(s) failed to load (said above)`);
  return new CliError(lines.join('\n'), exitCode);
}
