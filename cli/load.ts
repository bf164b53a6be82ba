/**
 * Loading plugin modules for the tool commands (`dump`, `kong-conf`,
 * `schema`, `install`): load failures are reported on stderr as plain text
 * and skipped; duplicate names and missing paths fail the command.
 *
 * @module
 */
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
