#!/usr/bin/env node
/**
 * The `tspdk-js-pluginserver` command (a `bin` of the package): `tspdk
 * js-pluginserver` under a name kong.conf can use where it used
 * `kong-js-pluginserver`, with the same flags.
 *
 * @module
 */
import { Command } from 'commander';
import { normalizeLongOptions } from '../server/process/argv.ts';
import { withJsPluginServerOptions } from './js-pluginserver.ts';
import { LONG_OPTIONS } from './options.ts';
import { CliError, isKeptAlive, protectStdout, writeOut } from './output.ts';

protectStdout();

async function main(argv: readonly string[]): Promise<void> {
  const program = withJsPluginServerOptions(
    new Command('tspdk-js-pluginserver').description("tspdk serving a kong-pdk plugins directory, with kong-js-pluginserver's flags"),
  )
    .helpOption('-h, --help', 'show help (also -help)')
    .configureOutput({ writeOut, writeErr: (text) => process.stderr.write(text) });
  try {
    await program.parseAsync(normalizeLongOptions(argv, LONG_OPTIONS), { from: 'node' });
  } catch (error) {
    const code = error instanceof CliError ? error.exitCode : 1;
    process.stderr.write(`tspdk-js-pluginserver: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(code);
  }
  if (!isKeptAlive()) process.exit(process.exitCode ?? 0);
}

void main(process.argv);
