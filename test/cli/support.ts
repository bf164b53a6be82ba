/**
 * Helpers for the `tspdk` command tests: paths, running the CLI as Kong does
 * (empty environment), temporary plugin directories that import `tspdk`.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (dist/test/cli → ../../..). */
export const ROOT = join(here, '..', '..', '..');
/** The built CLI entry point. */
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
/** The compiled fixture plugins (alpha, beta-two, gamma, a helper). */
export const FIXTURES = join(ROOT, 'dist', 'test', 'fixtures', 'cli', 'plugins');
/** The node binary running the tests. */
export const NODE = process.execPath;

/** Runs the CLI to completion with an empty environment, as Kong runs its query commands' servers. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(NODE, [CLI, ...args], { env, encoding: 'utf8', timeout: 20_000 });
}

/** A long-running child process with its output collected. */
export interface Child {
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr contains `text` (rejects after `timeoutMs`). */
  waitForLog(text: string | RegExp, timeoutMs?: number, from?: number): Promise<void>;
  /** Resolves with the exit code. */
  exited(): Promise<number | null>;
}

/** Starts a process with an empty environment and collects its output. */
export function startProcess(command: string, args: readonly string[]): Child {
  const child = spawn(command, args, { env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    async waitForLog(text, timeoutMs = 10_000, from = 0) {
      const deadline = Date.now() + timeoutMs;
      const found = (): boolean => (typeof text === 'string' ? err.indexOf(text, from) >= 0 : text.test(err.slice(from)));
      while (!found()) {
        if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before logging ${String(text)}:\n${err}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}:\n${err}`);
        await sleep(10);
      }
    },
    exited: () => exit,
  };
}

/** Starts `tspdk <args>` with an empty environment. */
export function startCli(args: readonly string[]): Child {
  return startProcess(NODE, [CLI, ...args]);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Temporary directories and processes of one test file, cleaned up together. */
export class Scratch {
  readonly #directories: string[] = [];
  readonly #children: Child[] = [];

  /** A new temporary directory. */
  directory(prefix = 'tspdk-cli-'): string {
    const directory = mkdtempSync(join(tmpdir(), prefix));
    this.#directories.push(directory);
    return directory;
  }

  /**
   * A directory of plugin sources (`{relative path: text}`), with a
   * package.json of type module and `node_modules/tspdk` linked to this
   * repository, as a plugin project that depends on tspdk.
   */
  pluginDirectory(files: Record<string, string>): string {
    const directory = this.directory('tspdk-plugins-');
    mkdirSync(join(directory, 'node_modules'));
    symlinkSync(ROOT, join(directory, 'node_modules', 'tspdk'), 'dir');
    writeFileSync(join(directory, 'package.json'), JSON.stringify({ name: 'my-plugins', private: true, type: 'module' }));
    writeFiles(directory, files);
    return directory;
  }

  /** Tracks a child to kill at cleanup. */
  track(child: Child): Child {
    this.#children.push(child);
    return child;
  }

  /** Kills tracked children and removes the directories. */
  cleanup(): void {
    for (const child of this.#children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    for (const directory of this.#directories) rmSync(directory, { recursive: true, force: true });
  }
}

/** Writes `{relative path: text}` under `directory`, creating folders. */
export function writeFiles(directory: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const full = join(directory, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}

/** Source of a small ESM plugin that sets header `x-<name>` to its config's `value`. */
export function headerPlugin(name: string, options: { readonly priority?: number; readonly value?: string } = {}): string {
  return [
    "import { Config, field, serve } from 'tspdk';",
    `class P extends Config({ value: field.string({ default: ${JSON.stringify(options.value ?? name)} }) }) {`,
    `  async access(kong) { await kong.response.setHeader('x-${name}', this.value); }`,
    '}',
    `serve(P, { name: ${JSON.stringify(name)}, version: '1.0', priority: ${options.priority ?? 1} });`,
    '',
  ].join('\n');
}
