/**
 * stdout belongs to `-dump`: Kong parses everything its query command prints
 * as JSON, so one stray `console.log` (in a plugin, at import time) would stop
 * Kong from starting. When this process was started to dump, everything else
 * written to stdout is sent to stderr instead, from the moment tspdk is loaded.
 *
 * @module
 */

const DUMP_FLAGS = new Set(['-dump', '--dump']);

const realWrite = process.stdout.write.bind(process.stdout);
let guarded = false;

/** Whether `argv` asks for a dump. */
function wantsDump(argv: readonly string[]): boolean {
  return argv.slice(2).some((arg) => DUMP_FLAGS.has(arg));
}

/** Sends all later stdout writes (console.log included) to stderr. */
export function guardStdout(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.write = process.stderr.write.bind(process.stderr);
}

/** Writes `text` to the real stdout, then calls `done` once it is flushed. */
export function writeStdout(text: string, done: () => void): void {
  realWrite(text, () => done());
}

if (wantsDump(process.argv)) guardStdout();
