/**
 * Runs the reliability fixture plugin as Kong runs a plugin server: its own
 * process, an empty environment, JSON log lines on stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_WORKERS, waitFor } from '../support/server.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The compiled fixture plugin (a standalone plugin microservice). */
export const RELY = join(here, 'fixtures', 'rely.js');

/** A spawned plugin server. */
export interface Spawned {
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the fixture on `socket` with extra CLI `args`; resolves once it listens. */
export async function spawnRely(socket: string, args: readonly string[] = [], timeoutMs = 60_000): Promise<Spawned> {
  // TSPDK_TEST_WORKERS=N: the same tests against a primary and N worker processes.
  const workers = TEST_WORKERS > 1 ? ['--workers', String(TEST_WORKERS)] : [];
  return spawnServer([RELY, '--socket', socket, ...workers, ...args], timeoutMs);
}

/** Runs `node <args>` as Kong runs a plugin server (empty environment); resolves once it logs "listening". */
export async function spawnServer(args: readonly string[], timeoutMs = 60_000): Promise<Spawned> {
  const child = spawn(process.execPath, args, { env: {}, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(() => stderr.includes('"msg":"listening"') || gone, timeoutMs, 'the plugin server to listen');
  if (gone) throw new Error(`the plugin server exited before listening: ${stderr}`);
  return { child, stderr: () => stderr, exited };
}
