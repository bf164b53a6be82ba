/**
 * The command line's output channels. stdout carries only a command's
 * result (a dump, kong.conf lines, a schema): everything else, including what
 * plugin modules print while they load, goes to stderr.
 *
 * @module
 */
import { guardStdout, writeStdout } from '../server/process/stdout-guard.ts';

/** Sends every later stdout write (console.log included) to stderr. */
export function protectStdout(): void {
  guardStdout();
}

/** Writes `text` to the real stdout and resolves once it is flushed. */
export function printResult(text: string): Promise<void> {
  return new Promise((resolve) => writeStdout(text, resolve));
}

let keepAlive = false;

/** Marks the process as a server: the command line does not exit when the command returns. */
export function keepProcessAlive(): void {
  keepAlive = true;
}

/** Whether {@link keepProcessAlive} was called. */
export function isKeptAlive(): boolean {
  return keepAlive;
}

/** Writes `text` to the real stdout without waiting (help and version output). */
export function writeOut(text: string): void {
  writeStdout(text, () => undefined);
}

/** Writes one line to stderr, prefixed with `tspdk: `. */
export function warn(message: string): void {
  process.stderr.write(`tspdk: ${message}\n`);
}

/** Signals a command failure with its exit code; `main` prints it and exits. */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'CliError', enumerable: false, configurable: true });
    this.exitCode = exitCode;
  }
}
