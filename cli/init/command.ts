/**
 * `tspdk init <dir> [--name my-plugin] [--tspdk <spec>]`: a ready plugin
 * project (package.json, tsconfig.json, the plugin, its test, .gitignore, a
 * Dockerfile, a README) that passes its own `npm test` once installed.
 *
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command } from 'commander';
import { CliError, printResult } from '../output.ts';
import { dockerfile } from './dockerfile.ts';
import { projectNames } from './names.ts';
import { gitignore, packageJson, pluginSource, readme, testSource, tsconfig, type TemplateInput } from './templates.ts';

/** Options of `tspdk init`. */
interface InitOptions {
  readonly name?: string;
  readonly tspdk?: string;
}

/** The TypeScript a new project builds with: the release tspdk is built and tested with. */
const PROJECT_TYPESCRIPT = '~5.9.3';
/** @types/node of a new project: the oldest Node line tspdk supports. */
const PROJECT_TYPES_NODE = '^20.19.0';

/** What the tspdk dependency of the project is, and whether a tarball must be copied into vendor/. */
interface TspdkDependency {
  readonly spec: string;
  readonly tarball?: string;
}

/**
 * The tspdk dependency for `given`: a tarball (`npm pack`'s .tgz) is copied
 * into the project's vendor/ so that the project, and its Docker build,
 * carry it; a directory (a checkout) is linked by absolute path; anything
 * else is an npm spec. Without `given`: this tspdk's version.
 */
function tspdkDependency(given: string | undefined, version: string): TspdkDependency {
  if (given === undefined) return { spec: `^${version}` };
  const path = resolve(given);
  if (existsSync(path) && statSync(path).isFile()) {
    if (!given.endsWith('.tgz')) throw new CliError(`--tspdk ${given}: a file must be a tarball made by npm pack (.tgz)`, 2);
    return { spec: `file:vendor/${basename(path)}`, tarball: path };
  }
  if (existsSync(path) && statSync(path).isDirectory()) return { spec: `file:${path}` };
  return { spec: given };
}

/** The files of the project, by path relative to its directory. */
function projectFiles(input: TemplateInput, vendored: boolean): Record<string, string> {
  const { plugin } = input.names;
  return {
    'package.json': packageJson(input),
    'tsconfig.json': tsconfig(),
    [`src/${plugin}.ts`]: pluginSource(input),
    [`test/${plugin}.test.ts`]: testSource(input),
    '.gitignore': gitignore(),
    Dockerfile: dockerfile(input.names, vendored),
    'README.md': readme(input),
  };
}

/** Writes a new project into `directory` (new or empty). Returns the paths written, relative to it. */
export function initProject(directory: string, options: InitOptions, version: string): string[] {
  const root = resolve(directory);
  if (existsSync(root) && (!statSync(root).isDirectory() || readdirSync(root).length > 0)) {
    throw new CliError(`${directory} already exists and is not an empty directory: pick a new directory`, 2);
  }
  let names;
  try {
    names = projectNames(options.name ?? basename(root));
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
  const dependency = tspdkDependency(options.tspdk, version);
  const input: TemplateInput = { names, tspdkSpec: dependency.spec, typescript: PROJECT_TYPESCRIPT, typesNode: PROJECT_TYPES_NODE };
  const files = projectFiles(input, dependency.tarball !== undefined);
  const written: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
    written.push(path);
  }
  if (dependency.tarball !== undefined) {
    mkdirSync(join(root, 'vendor'), { recursive: true });
    copyFileSync(dependency.tarball, join(root, 'vendor', basename(dependency.tarball)));
    written.push(`vendor/${basename(dependency.tarball)}`);
  }
  return written;
}

async function runInit(directory: string, options: InitOptions, version: string): Promise<void> {
  const written = initProject(directory, options, version);
  const shown = directory;
  const name = options.name ?? basename(resolve(directory));
  await printResult(
    [
      `Created ${shown}:`,
      ...written.map((path) => `  ${path}`),
      '',
      'Next:',
      `  cd ${shown}`,
      '  npm install',
      '  npm test            # compiles and runs the tests',
      '  npm run dev         # serves the plugin on .kong/, reloading it on every change',
      `  docker build -t kong-${name} .   # Kong with the plugin (see README.md)`,
      '',
    ].join('\n'),
  );
}

/** The `init` subcommand; `version` is tspdk's own (the default dependency). */
export function initCommand(version: string): Command {
  return new Command('init')
    .description('create a plugin project: package.json, tsconfig, a plugin, its test, a Dockerfile for Kong, a README')
    .argument('<dir>', 'the new project directory (new or empty)')
    .option('--name <name>', "the plugin's name in Kong (default: the directory's name)")
    .option('--tspdk <spec>', 'the tspdk dependency: a tarball from npm pack (copied into vendor/), a checkout directory, or an npm spec')
    .action((directory: string, options: InitOptions) => runInit(directory, options, version));
}
