/**
 * How one Kong release's MsgPack plugin-server host (the Lua files under
 * `kong/runloop/plugin_servers/`) turns a Step's `Method` into a function,
 * and what it does with the results:
 *
 * - the `exposed_api` table: names the host answers itself (exact keys),
 *   and the `kong` root from which any other name is looked up segment by
 *   segment (`index_table`);
 * - whether the PDK call's second return value reaches `get_step_method`,
 *   which turns `nil, err` into `plugin.StepError` (all values passed on)
 *   or is dropped (only the first value kept);
 * - the results the host rewrites: multi-maps (`fix_mmap`) and raw bodies
 *   sent as MessagePack bin (`fix_raw`).
 *
 * Each fact is checked against the code's structure; when a release does
 * something this reader does not recognise, it fails and says what changed,
 * rather than guessing.
 *
 * @module
 */
import type { Block, Expr, FunctionExpr, Stat } from './lua/ast.ts';
import { dottedPath, expressions, functionsNamed, hasString, localTables, statements, subExpressions } from './lua/find.ts';
import { parseLua } from './lua/parser.ts';

/** A name the host's `exposed_api` answers itself. */
export interface HostEntry {
  /** Parameters of the host's function, or null when the entry is a reference to a library function. */
  readonly params: readonly string[] | null;
  /** On a host that passes all return values on: whether a `nil, err` of the entry can reach the server. */
  readonly errorsTravel: boolean;
}

/** The MsgPack host of one release. */
export interface HostFacts {
  /** Files, relative to `kong/runloop/plugin_servers/`: the MsgPack dispatch, the `exposed_api` table, `index_table`. */
  readonly layout: { readonly dispatch: string; readonly exposedApi: string; readonly indexTable: string };
  /** Names (starting with `kong.`) the host answers with its own entry. */
  readonly entries: ReadonlyMap<string, HostEntry>;
  /** A PDK function's `nil, err` reaches the server as `plugin.StepError` (else the error is dropped and nil arrives). */
  readonly stepError: boolean;
  /** Names whose result the host rewrites as a multi-map (`fix_mmap`), keeping only the first return value. */
  readonly multiMap: ReadonlySet<string>;
  /** Names whose result the host sends as MessagePack bin (`fix_raw`). */
  readonly rawBin: ReadonlySet<string>;
}

/** Reads the host of a release from its `plugin_servers` files (path relative to that folder → source). */
export function hostFacts(files: ReadonlyMap<string, string>): HostFacts {
  const parsed = new Map<string, Block>();
  for (const [path, source] of files) if (!path.endsWith('pb_rpc.lua')) parsed.set(path, parseLua(source, path));
  const dispatch = single(parsed, (b) => functionsNamed(b, 'call_pdk_method'), 'the MsgPack dispatch function call_pdk_method');
  const exposed = single(parsed, (b) => localTables(b, 'exposed_api'), 'the exposed_api table');
  const index = single(parsed, (b) => functionsNamed(b, 'index_table'), 'the method lookup index_table');
  checkIndexTable(index.found, index.path);
  const dispatchBlock = parsed.get(dispatch.path) as Block;
  const mustFix = mustFixTable(dispatchBlock, dispatch.found, dispatch.path);
  const passing = passesAllValues(dispatch.found, dispatch.path);
  const { entries, multiMap: wrapped } = exposedEntries(exposed.found, exposed.path);
  const multiMap = new Set([...wrapped, ...[...mustFix].filter(([, fix]) => fix === 'fix_mmap').map(([name]) => name)]);
  const rawBin = new Set([...mustFix].filter(([, fix]) => fix === 'fix_raw').map(([name]) => name));
  return {
    layout: { dispatch: dispatch.path, exposedApi: exposed.path, indexTable: index.path },
    entries,
    stepError: passing && handlerKeepsError(dispatchBlock, dispatch.path),
    multiMap,
    rawBin,
  };
}

/** Exactly one match over all files, or a clear failure. */
function single<T>(parsed: ReadonlyMap<string, Block>, find: (b: Block) => T[], what: string): { found: T; path: string } {
  const hits = [...parsed].flatMap(([path, block]) => find(block).map((found) => ({ found, path })));
  if (hits.length !== 1) {
    throw new Error(`plugin_servers: expected one ${what}, found ${hits.length} (${hits.map((h) => h.path).join(', ')}); the host's layout changed`);
  }
  return hits[0] as { found: T; path: string };
}

/**
 * `index_table(t, name)`: `t[name]` when that exact key exists, otherwise a
 * walk over the `\w+` segments of the name from `t`. Checked: the exact-key
 * test comes first and the walk splits with the pattern `\w+`.
 */
function checkIndexTable(fn: FunctionExpr, path: string): void {
  const [table, field] = fn.params;
  const first = fn.body[0];
  const exactFirst = first?.type === 'if' && first.clauses.length === 1 && isIndexOf(first.clauses[0]?.cond, table, field);
  const splitsOnWords = [...statements(fn.body)].some(
    (s) => s.type === 'forin' && [...s.exprs.flatMap((e) => [...subExpressions(e)])].some((e) => e.type === 'string' && e.value === '\\w+'),
  );
  if (!exactFirst || !splitsOnWords) {
    throw new Error(`${path}: index_table no longer looks up the exact name first and then its \\w+ segments; read how this release resolves a Step's Method`);
  }
}

function isIndexOf(e: Expr | undefined, table: string | undefined, field: string | undefined): boolean {
  return e?.type === 'index' && e.object.type === 'name' && e.object.name === table && e.key.type === 'name' && e.key.name === field;
}

/**
 * `local must_fix = { ["kong.x"] = fix_mmap, … }` (3.x), or `= true` with
 * `return fix_mmap(method(…))` in `call_pdk_method` (2.4.1 – 2.8.x): name →
 * the fixing function's name.
 */
function mustFixTable(block: Block, dispatch: FunctionExpr, path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const table of localTables(block, 'must_fix')) {
    for (const f of table.fields) {
      if (f.key?.type !== 'string') continue;
      if (f.value.type === 'name') out.set(f.key.value, f.value.name);
      else if (f.value.type === 'true') out.set(f.key.value, wrapperOfMethodCall(dispatch, path));
    }
  }
  return out;
}

/** The one function `call_pdk_method` wraps the PDK call's result in (`return fix_mmap(method(…))`). */
function wrapperOfMethodCall(dispatch: FunctionExpr, path: string): string {
  const wrappers = new Set<string>();
  for (const s of statements(dispatch.body, false)) {
    const v = s.type === 'return' ? s.values[0] : undefined;
    if (v?.type === 'call' && v.args.length === 1 && isMethodCall(v.args[0])) wrappers.add(dottedPath(v.callee) ?? '?');
  }
  if (wrappers.size !== 1) throw new Error(`${path}: must_fix marks names with true, but call_pdk_method does not wrap the PDK call in one function`);
  return [...wrappers][0] as string;
}

/**
 * Whether `call_pdk_method` returns every value of the PDK call (a
 * `return method(…)`) or keeps only the first (`ret = method(…)`). It must
 * be one or the other, and must log "could not find pdk method" for an
 * unknown name.
 */
function passesAllValues(fn: FunctionExpr, path: string): boolean {
  const own = [...statements(fn.body, false)];
  const direct = own.some((s) => s.type === 'return' && isMethodCall(s.values[0]));
  const single = own.some((s) => (s.type === 'assign' || s.type === 'local') && s.values.length === 1 && isMethodCall(s.values[0]));
  if (direct === single) throw new Error(`${path}: call_pdk_method neither clearly returns every value of the PDK call nor keeps only the first`);
  if (!hasString(fn.body, 'could not find pdk method: ')) {
    throw new Error(`${path}: call_pdk_method no longer logs "could not find pdk method" for an unknown name; check what an unknown Method does now`);
  }
  return direct;
}

function isMethodCall(e: Expr | undefined): boolean {
  return e?.type === 'call' && e.callee.type === 'name' && e.callee.name === 'method';
}

/** The event loop keeps both values (`local res, err = call_pdk_method(…)`) and has a `plugin.StepError` answer. */
function handlerKeepsError(block: Block, path: string): boolean {
  const keeps = [...statements(block)].some(
    (s: Stat) => s.type === 'local' && s.names.length === 2 && s.values[0]?.type === 'call' && dottedPath(s.values[0].callee) === 'call_pdk_method',
  );
  if (!keeps) throw new Error(`${path}: no 'local res, err = call_pdk_method(…)' in the event loop; check how errors reach get_step_method`);
  return hasString(block, 'plugin.StepError');
}

/** The `kong.*` entries of `exposed_api`; checks the `kong = kong` root every other name is looked up from. */
function exposedEntries(table: Extract<Expr, { type: 'table' }>, path: string): { entries: Map<string, HostEntry>; multiMap: Set<string> } {
  const entries = new Map<string, HostEntry>();
  const multiMap = new Set<string>();
  let root = false;
  for (const f of table.fields) {
    if (f.key?.type !== 'string') continue;
    const name = f.key.value;
    if (name === 'kong') root = f.value.type === 'name' && f.value.name === 'kong';
    if (!name.startsWith('kong.')) continue;
    if (f.value.type !== 'function') {
      entries.set(name, { params: null, errorsTravel: true });
      continue;
    }
    const calls = [...expressions(f.value.body, false)].filter((e) => e.type === 'call').map((e) => dottedPath((e as { callee: Expr }).callee));
    if (calls.some((c) => c?.endsWith('fix_mmap'))) multiMap.add(name);
    entries.set(name, { params: f.value.params, errorsTravel: returnsPdkCallWhole(f.value) });
  }
  if (!root) throw new Error(`${path}: exposed_api has no 'kong = kong' root; names outside it would no longer resolve to the PDK`);
  return { entries, multiMap };
}

/** Whether some `return` of the entry hands back a `kong.*` call's values unchanged (`return kong.x.y(…)`). */
function returnsPdkCallWhole(fn: FunctionExpr): boolean {
  return [...statements(fn.body, false)].some(
    (s) => s.type === 'return' && s.values.length === 1 && s.values[0]?.type === 'call' && (dottedPath(s.values[0].callee) ?? '').startsWith('kong.'),
  );
}
