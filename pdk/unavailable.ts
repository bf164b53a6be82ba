/**
 * PDK functions the running Kong does not have: where Kong has them, for
 * messages, and how a call to one is told from Kong's nil answer when no
 * `--kong-version` was given (`PDK_UNAVAILABLE`).
 *
 * @module
 */
import { availableIn, describeAvailability, pdkTable, type KongPdkTable } from './availability.ts';
import { ErrorCodes, PdkError } from './errors.ts';

/**
 * Where Kong has `luaName`, for messages: `Kong has it from 3.0.0 on`,
 * `Kong has it in 2.3.0 (http), 3.2.0 (stream)`, or that only master has it.
 */
export function whereKongHasIt(luaName: string, table: KongPdkTable = pdkTable): string {
  const record = table.functions[luaName];
  if (record === undefined) return 'no Kong release has it';
  if (record.since === 'master') return "no Kong release has it, only Kong's development branch (master)";
  const described = describeAvailability(luaName, table);
  return described === record.since ? `Kong has it from ${record.since} on` : `Kong has it in ${described}`;
}

/** Names that some covered release (or master) lacks in http, by the table. */
let partial: ReadonlySet<string> | undefined;

function inSomeReleasesOnly(luaName: string): boolean {
  if (partial === undefined) {
    const every = { text: 'every release', releases: pdkTable.releases };
    partial = new Set(Object.keys(pdkTable.functions).filter((name) => !availableIn(name, every, 'http')));
  }
  return partial.has(luaName);
}

/**
 * The error for a nil answer to `method` where its binding needs a value,
 * when that nil most likely means the running Kong lacks the function (some
 * releases do not have it): Kong's host logs `could not find pdk method` and
 * answers nil. Undefined when every release has the function.
 */
export function unavailableFromNil(method: string): PdkError | undefined {
  if (!inSomeReleasesOnly(method)) return undefined;
  return new PdkError(
    ErrorCodes.Unavailable,
    method,
    `Kong answered nil, as a Kong without this function does (${whereKongHasIt(method)}): the running Kong is probably older. ` +
      'Start the plugin server with --kong-version to have such calls refused at once',
  );
}
