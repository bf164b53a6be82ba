#!/usr/bin/env node
/**
 * The `tspdk` command (the package's `bin`).
 *
 *   tspdk init my-plugin
 *   tspdk serve plugins/ --kong-prefix /usr/local/kong
 *   tspdk dump plugins/ --plugin my-plugin
 *   tspdk kong-conf plugins/
 *   tspdk install plugins/my-plugin.js --to /usr/local/bin
 *   tspdk reload --pid-file /usr/local/kong/tspdk.pid
 *   tspdk schema lua plugins/my-plugin.js
 *
 * stdout carries only a command's result; everything else, including what
 * plugin modules print while they load, goes to stderr.
 *
 * @module
 */
import { normalizeLongOptions } from '../server/process/argv.ts';
// `tspdk serve` sees its parent as early as it can (see parent.ts).
import '../server/process/parent.ts';
import { LONG_OPTIONS } from './options.ts';
import { CliError, isKeptAlive, protectStdout } from './output.ts';
import { tspdkProgram } from './program.ts';

protectStdout();

async function main(argv: readonly string[]): Promise<void> {
  try {
    await tspdkProgram().parseAsync(normalizeLongOptions(argv, LONG_OPTIONS), { from: 'node' });
  } catch (error) {
    const code = error instanceof CliError ? error.exitCode : 1;
    const message = error instanceof CliError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`tspdk: ${message}\n`);
    process.exit(code);
  }
  // Tool commands end here even if a plugin module left a timer or socket open.
  if (!isKeptAlive()) process.exit(process.exitCode ?? 0);
}

void main(process.argv);
