/**
 * Loading plugin modules for a host (`tspdk serve`, `tspdk dump`, …): single
 * files (ESM `.js`/`.mjs`, CommonJS `.cjs`), package directories, and
 * directories of plugins.
 *
 * Each module is imported on its own; the plugins it declares with `serve()`
 * (or exports as its default) are attributed to it. A module that fails to
 * load is reported and skipped without touching the others; a module that
 * declares nothing (a helper) is ignored; two plugins with the same name are
 * an error naming both files. In a directory, dotfiles, `node_modules`, test
 * folders and files, TypeScript sources and subfolders without an entry point
 * are skipped (kong-js-pdk loads all of them and breaks, kong-js-pdk#82, #151).
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginDefinition } from '../../plugin/definition.ts';
import { clearDeclaredPlugins, declaredPlugins, hostPlugins } from '../../plugin/serve.ts';

/** A plugin and the module that declared it. */
export interface LoadedPlugin {
  readonly definition: PluginDefinition;
  /** Absolute path of the module file that declared it (a package's entry point). */
  readonly file: string;
  /** The path given or found in a directory (a file or a package directory). */
  readonly source: string;
}

/** A module that could not be loaded. */
interface LoadFailure {
  /** The module file (or package directory without a usable entry point). */
  readonly file: string;
  readonly error: unknown;
}

/** What loading some paths gave. */
export interface LoadResult {
  /** Plugins found, in load order. */
  readonly plugins: readonly LoadedPlugin[];
  /** Modules that failed to load, each skipped. */
  readonly failures: readonly LoadFailure[];
  /** Modules that loaded but declared no plugin (helpers). */
  readonly helpers: readonly string[];
}

/** Options of {@link loadPlugins}. */
export interface LoadOptions {
  /**
   * Import a fresh copy of each module (logic reload): ESM URLs get
   * `?tspdk-reload=<n>` and CommonJS cache entries outside `node_modules`
   * are dropped. Old copies stay in memory: ES modules cannot be unloaded.
   */
  readonly generation?: number;
}

/** Two modules declare plugins with the same name. */
class DuplicatePluginError extends Error {
  /** The plugin name. */
  readonly plugin: string;
  /** Both files. */
  readonly files: readonly [string, string];
  constructor(plugin: string, first: string, second: string) {
    super(`two plugins are named "${plugin}": ${first} and ${second}`);
    Object.defineProperty(this, 'name', { value: 'DuplicatePluginError', enumerable: false, configurable: true });
    this.plugin = plugin;
    this.files = [first, second];
  }
}

/** A path given to the loader does not exist or holds nothing loadable. */
export class PluginPathError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'PluginPathError', enumerable: false, configurable: true });
  }
}

/** Extensions of loadable module files. */
const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
/** Folders never loaded from a plugins directory. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'test', 'tests', '__tests__', 'spec', '__mocks__', 'coverage', 'fixtures']);
/** Reload query parameter. */
const RELOAD_PARAMETER = 'tspdk-reload';

/** Whether a directory entry is skipped when scanning a plugins directory. */
function skipped(name: string, isDirectory: boolean): boolean {
  if (name.startsWith('.')) return true;
  if (isDirectory) return SKIPPED_DIRECTORIES.has(name);
  if (!MODULE_EXTENSIONS.has(extname(name))) return true;
  return /\.(test|spec)\.[cm]?js$/.test(name);
}

/**
 * The entry point of a package directory: its package.json `exports` (".",
 * conditions node/import/default/require), then `main`, then `index.js`,
 * `index.mjs` or `index.cjs`. `undefined` when it has none.
 * @throws {@link PluginPathError} when package.json names a missing file or cannot be parsed.
 */
export function packageEntry(directory: string): string | undefined {
  const manifestPath = join(directory, 'package.json');
  if (existsSync(manifestPath)) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    } catch (error) {
      throw new PluginPathError(`${manifestPath}: ${(error as Error).message}`);
    }
    const record = isRecord(manifest) ? manifest : {};
    const target = exportTarget(record['exports']) ?? (typeof record['main'] === 'string' ? record['main'] : undefined);
    if (target !== undefined) {
      const file = resolve(directory, target);
      const found = [file, `${file}.js`, join(file, 'index.js')].find((candidate) => isFile(candidate));
      if (found === undefined) throw new PluginPathError(`${manifestPath} names ${target}, which does not exist`);
      return found;
    }
  }
  return ['index.js', 'index.mjs', 'index.cjs'].map((name) => join(directory, name)).find((candidate) => isFile(candidate));
}

const CONDITIONS = ['node', 'import', 'default', 'require'];

function exportTarget(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (Array.isArray(exports)) {
    for (const item of exports) {
      const target = exportTarget(item);
      if (target !== undefined) return target;
    }
    return undefined;
  }
  if (!isRecord(exports)) return undefined;
  if (Object.keys(exports).some((key) => key.startsWith('.'))) return exportTarget(exports['.']);
  for (const condition of CONDITIONS) {
    const target = exportTarget(exports[condition]);
    if (target !== undefined) return target;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A module to import: the entry file and what it was found as. */
interface Candidate {
  readonly file: string;
  readonly source: string;
}

/**
 * The modules to load for `paths`: files as given, package directories by
 * their entry point, plugin directories by their loadable entries (sorted).
 * Package directories whose package.json is broken are reported as failures.
 * @throws {@link PluginPathError} when a path does not exist or is not loadable.
 */
export function findModules(paths: readonly string[]): { candidates: Candidate[]; failures: LoadFailure[] } {
  const candidates: Candidate[] = [];
  const failures: LoadFailure[] = [];
  for (const given of paths) {
    const path = resolve(given);
    let stats;
    try {
      stats = statSync(path);
    } catch {
      throw new PluginPathError(`${given}: no such file or directory`);
    }
    if (stats.isFile()) {
      candidates.push({ file: path, source: path });
      continue;
    }
    if (!stats.isDirectory()) throw new PluginPathError(`${given}: not a file or directory`);
    // A package directory given directly is one plugin module.
    if (existsSync(join(path, 'package.json')) && hasEntry(path)) {
      const entry = packageEntry(path);
      if (entry !== undefined) {
        candidates.push({ file: entry, source: path });
        continue;
      }
    }
    for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = join(path, entry.name);
      const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && isDirectoryPath(full));
      if (skipped(entry.name, isDirectory)) continue;
      if (isDirectory) {
        try {
          const file = packageEntry(full);
          if (file !== undefined) candidates.push({ file, source: full });
          // A subfolder without an entry point holds helpers or assets: ignored.
        } catch (error) {
          failures.push({ file: full, error });
        }
      } else if (entry.isFile() || isFile(full)) {
        candidates.push({ file: full, source: full });
      }
    }
  }
  return { candidates, failures };
}

/** Whether a package.json directory names an entry (a plugin package rather than a plugins folder with a manifest). */
function hasEntry(directory: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as unknown;
    if (isRecord(manifest) && (manifest['main'] !== undefined || manifest['exports'] !== undefined)) return true;
  } catch {
    return true; // let packageEntry report it
  }
  return ['index.js', 'index.mjs', 'index.cjs'].some((name) => isFile(join(directory, name)));
}

function isDirectoryPath(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Whether `value` looks like a {@link PluginDefinition} (a default export). */
function isPluginDefinition(value: unknown): value is PluginDefinition {
  return (
    isRecord(value) &&
    typeof value['name'] === 'string' &&
    typeof value['pluginClass'] === 'function' &&
    isRecord(value['dump']) &&
    Array.isArray(value['phases'])
  );
}

const require = createRequire(import.meta.url);

/** `--preserve-symlinks-main` among Node's options of this process. */
const PRESERVE_SYMLINKS_MAIN = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].includes('--preserve-symlinks-main');

/**
 * The path a plugin file is imported from: as `node file.js` would run it.
 * Node runs a symlinked main module from its real path (unless
 * `--preserve-symlinks-main`), so its imports resolve from where the file
 * really is: a Kubernetes ConfigMap (`hello.js -> ..data/hello.js`,
 * `..data -> ..2024_…`) or a link into a project folder loads the same way
 * from a directory as alone. Plugins keep the path given for their `file`
 * (kong-conf's commands, messages); a reload resolves the link again, so a
 * ConfigMap update is picked up.
 */
function mainModulePath(file: string): string {
  if (PRESERVE_SYMLINKS_MAIN) return file;
  try {
    return realpathSync(file);
  } catch {
    return file; // the import reports it
  }
}

/** Drops CommonJS cache entries of this module's own code (not packages), so a reload re-runs it. */
function forgetCommonJs(root: string): void {
  const prefix = root.endsWith(sep) ? root : `${root}${sep}`;
  for (const key of Object.keys(require.cache)) {
    if ((key === root || key.startsWith(prefix)) && !key.includes(`${sep}node_modules${sep}`)) delete require.cache[key];
  }
}

/**
 * Imports one module as a host and returns the plugins it declared (through
 * `serve()`, or as its default export).
 */
async function importModule(file: string, generation: number | undefined): Promise<PluginDefinition[]> {
  const real = mainModulePath(file);
  const url = pathToFileURL(real);
  if (generation !== undefined) {
    url.searchParams.set(RELOAD_PARAMETER, String(generation));
    forgetCommonJs(join(real, '..'));
  }
  clearDeclaredPlugins();
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url.href)) as Record<string, unknown>;
  } catch (error) {
    clearDeclaredPlugins(); // a module that declared a plugin, then threw, contributes nothing
    throw error;
  }
  const declared = declaredPlugins();
  clearDeclaredPlugins();
  const found = [...declared];
  const candidates = [namespace['default'], isRecord(namespace['default']) ? namespace['default']['default'] : undefined];
  for (const value of candidates) {
    if (isPluginDefinition(value) && !found.some((plugin) => plugin === value || plugin.name === value.name)) found.push(value);
  }
  return found;
}

/**
 * Loads the plugin modules at `paths` (files, package directories or
 * directories of plugins), each in isolation.
 * @throws {@link PluginPathError} when a path does not exist.
 * @throws {@link DuplicatePluginError} when two modules declare the same plugin name.
 */
export async function loadPlugins(paths: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  hostPlugins();
  const { candidates, failures } = findModules(paths);
  const plugins: LoadedPlugin[] = [];
  const helpers: string[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    if (seen.has(candidate.file)) continue;
    seen.add(candidate.file);
    let declared: PluginDefinition[];
    try {
      declared = await importModule(candidate.file, options.generation);
    } catch (error) {
      failures.push({ file: candidate.file, error });
      continue;
    }
    if (declared.length === 0) helpers.push(candidate.file);
    for (const definition of declared) {
      const other = plugins.find((plugin) => plugin.definition.name === definition.name);
      if (other !== undefined) throw new DuplicatePluginError(definition.name, other.file, candidate.file);
      plugins.push({ definition, file: candidate.file, source: candidate.source });
    }
  }
  return { plugins, failures, helpers };
}

/** tspdk's own folders, whose frames are noise in a plugin's load error (its code is where the plugin called it). */
const OWN_CODE = ['../', '../../cli/', '../../plugin/', '../../schema/', '../../pdk/'].map((folder) => new URL(folder, import.meta.url).pathname);
/** Frames of Node itself and of built-ins (`at JSON.parse (<anonymous>)`), and of the command line's parser. */
const NOISE = /node:internal|\(<anonymous>\)$|^\s+at <anonymous>$|node_modules\/commander\//;
/** The frames of a load error worth showing: the plugin's own code first, as Node lists them. */
const MAX_FRAMES = 4;

function isNoise(frame: string): boolean {
  return NOISE.test(frame) || OWN_CODE.some((folder) => frame.includes(folder));
}

/**
 * What to do about a load error, when its cause is known: TypeScript sources
 * given instead of the compiled files, a package the module imports that
 * cannot be found from where the module is.
 */
function hintFor(error: Error, file: string): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?ts$/.test(file)) {
    return 'this is a TypeScript source: compile it first (npx tsc, or npm run build) and point at the .js file tsc writes (for example dist/src/my-plugin.js)';
  }
  if (code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package/.test(error.message)) {
    return "Node looks for a package in the node_modules folders above the module's real path (symlinks resolved): install it in the plugin's project (npm install), next to the file";
  }
  return undefined;
}

/** A load error for people: its message, the frames of the plugin's own code, and what to do when that is known. */
export function describeLoadError(error: unknown, file: string): string {
  if (!(error instanceof Error)) return String(error);
  const lines = (error.stack ?? '').split('\n');
  const frames: string[] = [];
  // A syntax error in CommonJS starts its stack with "file:line"; others with "Name: message".
  if (lines[0] !== undefined && /^(\/|file:).*:\d+/.test(lines[0])) frames.push(lines[0]);
  for (const line of lines) {
    if (frames.length < MAX_FRAMES && /^\s+at /.test(line) && !isNoise(line)) frames.push(line.trim());
  }
  const hint = hintFor(error, file);
  return `${error.name}: ${error.message}${frames.map((frame) => `\n    ${frame}`).join('')}${hint === undefined ? '' : `\n  ${hint}`}`;
}

/** A load failure for stderr: the file, the error, where it was thrown and what to do. */
export function describeFailure(failure: LoadFailure): string {
  return `skipped ${basename(failure.file)} (${failure.file}): ${describeLoadError(failure.error, failure.file)}`;
}
