/**
 * The Lua PDK functions of one Kong release: loads `kong/pdk/init.lua` to
 * learn the module list, then loads each module and runs its `new`
 * constructor in the evaluator, and lists every function reachable from the
 * table it returns (its fields, those of its `__index` metatable, and one
 * level of callable sub-tables such as `kong.log.inspect`).
 *
 * @module
 */
import type { Block } from './lua/ast.ts';
import { Evaluator, type Subsystem } from './lua/evaluator.ts';
import { parseLua } from './lua/parser.ts';
import { UNKNOWN, metaField, newTable, type TableValue, type Value } from './lua/values.ts';

/** What is known of one PDK function. */
export interface FunctionFacts {
  /** The Lua parameter names (`...` for varargs), or null when the function is defined elsewhere (a `require`d library). */
  readonly params: readonly string[] | null;
}

/** Reads a file of the release; undefined when it does not exist. */
export type ReadFile = (path: string) => string | undefined;

/** The PDK of one release in one subsystem. */
export interface PdkSurface {
  /** Module paths as `kong/pdk/init.lua` loads them (`request`, `service.request`, …). */
  readonly modules: readonly string[];
  /** Every reachable function, by its full Lua name (`kong.request.get_header`). */
  readonly functions: ReadonlyMap<string, FunctionFacts>;
}

const MAX_NESTING = 2;

/** Reads and analyses the PDK of a release for one subsystem. */
export function pdkSurface(read: ReadFile, subsystem: Subsystem, parse: (path: string) => Block = defaultParser(read)): PdkSurface {
  const modules = moduleList(parse('kong/pdk/init.lua'), subsystem);
  const functions = new Map<string, FunctionFacts>();
  for (const module of modules) {
    const path = `kong/pdk/${module.replaceAll('.', '/')}.lua`;
    const value = loadModule(parse(path), path, subsystem);
    collect(value, `kong.${module}`, 0, functions, new Set());
  }
  return { modules, functions };
}

/** A parser that reads through `read` and fails clearly on a missing file. */
export function defaultParser(read: ReadFile): (path: string) => Block {
  return (path) => {
    const source = read(path);
    if (source === undefined) throw new Error(`${path} is missing`);
    return parseLua(source, path);
  };
}

/**
 * The module list of `kong/pdk/init.lua`: the one table of strings among its
 * top-level locals (or their fields) that names `request` and `response`,
 * after the top level ran (so that `table.insert(…, 'client.tls')` for http
 * is applied).
 */
export function moduleList(init: Block, subsystem: Subsystem): string[] {
  const { scope } = new Evaluator('kong/pdk/init.lua', subsystem).runChunk(init);
  const found: string[][] = [];
  const visit = (v: Value, depth: number, seen: Set<TableValue>): void => {
    if (v.kind !== 'table' || seen.has(v) || depth > 3) return;
    seen.add(v);
    const strings = v.items.flatMap((i) => (i.kind === 'string' ? [i.value] : []));
    if (strings.length > 0 && strings.length === v.items.length && strings.includes('request') && strings.includes('response')) {
      found.push(strings);
    }
    for (const child of [...v.fields.values(), ...v.items]) visit(child, depth + 1, seen);
  };
  const seen = new Set<TableValue>();
  for (const [, binding] of scope.entries()) visit(binding.value, 0, seen);
  if (found.length !== 1) {
    throw new Error(`kong/pdk/init.lua: expected one list of PDK module names, found ${found.length}; the way Kong lists its PDK modules changed`);
  }
  return found[0] as string[];
}

/** Loads a PDK module file and returns what its `new(pdk)` constructor returns. */
export function loadModule(chunk: Block, path: string, subsystem: Subsystem): Value {
  const evaluator = new Evaluator(path, subsystem);
  const { result } = evaluator.runChunk(chunk);
  const exported = result.kind === 'table' ? result.fields.get('new') : undefined;
  if (exported === undefined || (exported.kind !== 'function' && exported.kind !== 'union')) {
    throw new Error(`${path}: the module does not return a table with a 'new' constructor; the PDK module layout changed`);
  }
  const value = evaluator.call(exported, [newTable(), UNKNOWN]);
  if (!hasTable(value)) throw new Error(`${path}: 'new' returned no table the evaluator can follow`);
  return value;
}

function hasTable(v: Value): boolean {
  return v.kind === 'table' || (v.kind === 'union' && v.options.some(hasTable));
}

/** Adds every function reachable from `value` to `out`, named below `prefix`. */
function collect(value: Value, prefix: string, depth: number, out: Map<string, FunctionFacts>, seen: Set<TableValue>): void {
  for (const table of tablesOf(value)) {
    if (seen.has(table)) continue;
    seen.add(table);
    for (const [key, member] of visibleFields(table)) {
      if (key.startsWith('__')) continue;
      const name = `${prefix}.${key}`;
      for (const m of member.kind === 'union' ? member.options : [member]) addMember(m, name, depth, out, seen);
    }
  }
}

function addMember(m: Value, name: string, depth: number, out: Map<string, FunctionFacts>, seen: Set<TableValue>): void {
  switch (m.kind) {
    case 'function':
      // Branches may define a function differently (kong.ip.is_trusted): keep the fullest parameter list.
      if ((out.get(name)?.params?.length ?? -1) < m.fn.params.length) out.set(name, { params: m.fn.params });
      return;
    case 'builtin':
    case 'unknown':
      // A function from a required library (or a value the evaluator cannot see): present, parameters not known.
      if (!out.has(name)) out.set(name, { params: null });
      return;
    case 'table': {
      const call = metaField(m, '__call');
      if (call?.kind === 'function') out.set(name, { params: call.fn.params.slice(1) });
      // A metatable from a required library may make the table callable (kong.log.deprecation): present, parameters not known.
      else if (m.meta === 'opaque' && !out.has(name)) out.set(name, { params: null });
      if (depth < MAX_NESTING) collect(m, name, depth + 1, out, seen);
      return;
    }
    default:
      return;
  }
}

function tablesOf(v: Value): TableValue[] {
  if (v.kind === 'table') return [v];
  return v.kind === 'union' ? v.options.flatMap(tablesOf) : [];
}

/** Own fields, then those of `__index` tables up the chain (own fields win). */
function visibleFields(table: TableValue): Map<string, Value> {
  const out = new Map<string, Value>();
  const chain = new Set<TableValue>();
  for (let t: TableValue | undefined = table; t !== undefined && !chain.has(t); ) {
    chain.add(t);
    for (const [k, v] of t.fields) if (!out.has(k)) out.set(k, v);
    const index = metaField(t, '__index');
    t = index?.kind === 'table' ? index : undefined;
  }
  return out;
}
