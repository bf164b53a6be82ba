/**
 * Loading a kong-pdk plugins directory (`--plugins-directory`), as
 * kong-js-pluginserver does, without its failure modes.
 *
 * Each entry of the directory is one plugin module: a file (`.js`, `.cjs`,
 * `.mjs`, `.node`, and `.ts`/`.cts`/`.mts` through a TypeScript loader, see
 * typescript.ts) or a package directory (its package.json entry point or
 * `index.*`, with its own `node_modules`). CommonJS modules are loaded with
 * `require`, as kong-pdk does; ES modules with `import`. A module's name is
 * its `Name` export, else the file name without extension or the package
 * directory's name, lower cased.
 *
 * Unlike kong-pdk, a module that fails to load, or exports no `Plugin` (a
 * helper), is reported and skipped and never breaks the others or the dump;
 * a folder without an entry point, test folders and files, declaration files
 * and files of other kinds are not loaded; and when two modules give the
 * same name, one is served and the other reported (see {@link duplicate}).
 *
 * @module
 */
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageEntry, PluginPathError, type LoadedPlugin, type LoadResult } from '../../server/modules/loader.ts';
import { kongPdkPlugin, type KongPdkModule } from './plugin.ts';
import type { CompatWarn } from './kong-object.ts';
import { enableTypeScript, isTypeScript } from './typescript.ts';

/** Options of {@link loadKongPdkPlugins}. */
export interface KongPdkLoadOptions {
  /** Load fresh copies of the modules (reload number `generation`). */
  readonly generation?: number;
  /** Where one-time notes about the plugins' PDK calls go. */
  readonly warn?: CompatWarn;
  /**
   * Stop once the plugin of this name is loaded, trying the module named
   * after it first (a query command for one plugin then loads one module,
   * not the whole directory, unless the name comes from a `Name` export).
   */
  readonly find?: string;
}

/** A module of the directory: its entry file, what it was found as, and the name it defaults to. */
interface Candidate {
  readonly file: string;
  readonly source: string;
  readonly defaultName: string;
}

const EXTENSIONS: ReadonlySet<string> = new Set(['.js', '.cjs', '.mjs', '.node', '.ts', '.cts', '.mts']);
const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['test', 'tests', '__tests__', 'spec', '__mocks__', 'coverage', 'fixtures']);
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]s$/;
const INDEX_FILES = ['index.js', 'index.cjs', 'index.mjs', 'index.ts', 'index.cts', 'index.mts'];

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The entry file of a package directory (package.json first, then `index.*`), or `undefined`. */
function entryOf(directory: string): string | undefined {
  const fromManifest = packageEntry(directory);
  if (fromManifest !== undefined) return fromManifest;
  return INDEX_FILES.map((name) => join(directory, name)).find((file) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/** The modules of a plugins directory, sorted by name, and the package directories that cannot be read. */
function findCandidates(directory: string): { candidates: Candidate[]; failures: { file: string; error: unknown }[] } {
  let names: string[];
  try {
    names = readdirSync(directory).sort();
  } catch (error) {
    throw new PluginPathError(`${directory}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (error as Error).message}`);
  }
  const candidates: Candidate[] = [];
  const failures: { file: string; error: unknown }[] = [];
  for (const name of names) {
    if (name.startsWith('.') || name.includes('node_modules')) continue;
    const full = join(directory, name);
    if (isDirectory(full)) {
      if (SKIPPED_DIRECTORIES.has(name)) continue;
      try {
        const file = entryOf(full);
        if (file !== undefined) candidates.push({ file, source: full, defaultName: name });
      } catch (error) {
        failures.push({ file: full, error });
      }
      continue;
    }
    const extension = extname(name);
    if (!EXTENSIONS.has(extension) || TEST_FILE.test(name) || /\.d\.[cm]?ts$/.test(name)) continue;
    candidates.push({ file: full, source: full, defaultName: basename(name, extension) });
  }
  return { candidates, failures };
}

const require = createRequire(import.meta.url);

/** Drops the CommonJS cache entries of a plugin's own files (not of its packages), so a reload re-runs them. */
function forgetCommonJs(root: string): void {
  const prefix = root.endsWith(sep) ? root : `${root}${sep}`;
  for (const key of Object.keys(require.cache)) {
    if ((key === root || key.startsWith(prefix)) && !key.includes(`${sep}node_modules${sep}`)) delete require.cache[key];
  }
}

/** `require` as kong-pdk does; ES modules (which `require` refuses on Node 20) through `import`. */
async function importModule(candidate: Candidate, generation: number | undefined): Promise<unknown> {
  const url = pathToFileURL(candidate.file);
  if (generation !== undefined) url.searchParams.set('tspdk-reload', String(generation));
  if (extname(candidate.file) === '.mjs' || extname(candidate.file) === '.mts') return import(url.href);
  try {
    return require(candidate.file) as unknown;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') return import(url.href);
    throw error;
  }
}

/** The kong-pdk exports of a loaded module: `module.exports`, its ES exports, or a default export holding them. */
function exportsOf(loaded: unknown): KongPdkModule | undefined {
  if (loaded === null || (typeof loaded !== 'object' && typeof loaded !== 'function')) return undefined;
  const record = loaded as Record<string, unknown>;
  if (record['Plugin'] !== undefined) return record as unknown as KongPdkModule;
  const fallback = record['default'];
  if (fallback !== null && typeof fallback === 'object' && (fallback as Record<string, unknown>)['Plugin'] !== undefined) return fallback as KongPdkModule;
  return undefined;
}

/**
 * Two modules give the same name: the one named after the plugin (its file
 * or directory) wins, else the first in name order, so that a query for one
 * plugin (which tries that module first) and the server agree. Keeps the
 * winner at `at` and returns the loser's file.
 */
function duplicate(plugins: LoadedPlugin[], at: number, loaded: LoadedPlugin, candidate: Candidate): string {
  const first = plugins[at] as LoadedPlugin;
  const name = loaded.definition.name;
  const firstName = first.source === first.file ? basename(first.file, extname(first.file)) : basename(first.source);
  if (firstName.toLowerCase() === name || candidate.defaultName.toLowerCase() !== name) return loaded.file;
  plugins[at] = loaded;
  return first.file;
}

/**
 * Loads every plugin module of a kong-pdk plugins directory, each on its own.
 * @throws {@link PluginPathError} when the directory cannot be read.
 */
export async function loadKongPdkPlugins(directory: string, options: KongPdkLoadOptions = {}): Promise<LoadResult> {
  const root = resolve(directory);
  const { candidates: found, failures } = findCandidates(root);
  const wanted = options.find?.toLowerCase();
  const candidates = wanted === undefined ? found : [...found.filter((c) => c.defaultName.toLowerCase() === wanted), ...found.filter((c) => c.defaultName.toLowerCase() !== wanted)];
  if (options.generation !== undefined) forgetCommonJs(root);
  const plugins: LoadedPlugin[] = [];
  const helpers: string[] = [];
  for (const candidate of candidates) {
    let exports: KongPdkModule | undefined;
    try {
      if (isTypeScript(candidate.file)) await enableTypeScript(root);
      exports = exportsOf(await importModule(candidate, options.generation));
      if (exports === undefined) {
        helpers.push(candidate.file);
        continue;
      }
      const definition = kongPdkPlugin(exports, { defaultName: candidate.defaultName, warn: options.warn });
      const loaded = { definition, file: candidate.file, source: candidate.source };
      const at = plugins.findIndex((plugin) => plugin.definition.name === definition.name);
      if (at < 0) plugins.push(loaded);
      else failures.push({ file: duplicate(plugins, at, loaded, candidate), error: new Error(`two modules are named "${definition.name}"; serving ${(plugins[at] as LoadedPlugin).file}`) });
      if (definition.name === wanted) break;
    } catch (error) {
      failures.push({ file: candidate.file, error });
    }
  }
  return { plugins, failures, helpers };
}
