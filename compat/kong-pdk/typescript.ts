/**
 * TypeScript plugin files (`.ts`, `.cts`, `.mts`), which kong-pdk loads by
 * registering ts-node in every process. tspdk does not ship a TypeScript
 * compiler: it uses tsx (esbuild) when it can find it, next to the plugins
 * or next to tspdk, and otherwise Node's own type stripping when the running
 * Node has it turned on. tsx strips types without checking them (kong-pdk
 * type-checked at load time and refused correct plugins over its own wrong
 * typings); with Node's stripping, only erasable syntax works and type-only
 * imports must say `import type`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** How TypeScript files are loaded, once known. */
type TypeScriptLoader = 'tsx' | 'node';

let loader: Promise<TypeScriptLoader> | undefined;

/** A plugin file needs TypeScript and nothing here can load it. */
export class TypeScriptUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'TypeScriptUnavailableError', enumerable: false, configurable: true });
  }
}

/** Whether a file name is a TypeScript module (declaration files are not). */
export function isTypeScript(name: string): boolean {
  return /\.[cm]?ts$/.test(name) && !/\.d\.[cm]?ts$/.test(name);
}

/** An `exports` target for the `import` condition (`"./x.mjs"` or `{ import: { default: "./x.mjs" } }`). */
function importTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (entry === null || typeof entry !== 'object') return undefined;
  const record = entry as Record<string, unknown>;
  return importTarget(record['import'] ?? record['default']);
}

/** tsx's registration functions, as installed where `directory`'s modules would find it. */
async function findTsx(directory: string): Promise<Array<{ register(): unknown }> | undefined> {
  let require: NodeJS.Require;
  let manifestPath: string;
  try {
    require = createRequire(join(directory, 'noop.js'));
    manifestPath = require.resolve('tsx/package.json');
  } catch {
    return undefined;
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports?: Record<string, unknown> };
  const esm = importTarget(manifest.exports?.['./esm/api']);
  if (esm === undefined) return undefined;
  const cjs = require('tsx/cjs/api') as { register(): unknown };
  const esmApi = (await import(pathToFileURL(join(dirname(manifestPath), esm)).href)) as { register(): unknown };
  return [cjs, esmApi];
}

async function register(pluginsDirectory: string): Promise<TypeScriptLoader> {
  const tsx = (await findTsx(pluginsDirectory)) ?? (await findTsx(fileURLToPath(new URL('../../..', import.meta.url))));
  if (tsx !== undefined) {
    for (const api of tsx) api.register();
    return 'tsx';
  }
  const features = process.features as { typescript?: unknown };
  if (features.typescript === 'strip' || features.typescript === 'transform') return 'node';
  throw new TypeScriptUnavailableError(
    'TypeScript plugins need a loader: install tsx next to the plugins (npm install tsx) or next to tspdk, ' +
      'or run Node 22.6+ with --experimental-strip-types (erasable syntax only, `import type` for types), or compile the plugin to .js',
  );
}

/**
 * Makes `require` and `import` load TypeScript files, once per process.
 * @returns which loader does it.
 * @throws {@link TypeScriptUnavailableError} (as a rejection) saying what to install.
 */
export function enableTypeScript(pluginsDirectory: string): Promise<TypeScriptLoader> {
  loader ??= register(pluginsDirectory);
  return loader;
}
