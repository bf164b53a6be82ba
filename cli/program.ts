/**
 * The `tspdk` command line: its subcommands and how their output is routed.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { dumpCommand } from './dump.ts';
import { initCommand } from './init/command.ts';
import { installCommand } from './install.ts';
import { jsPluginServerCommand } from './js-pluginserver.ts';
import { kongConfCommand } from './kong-conf-command.ts';
import { writeOut } from './output.ts';
import { reloadCommand } from './reload.ts';
import { schemaCommand } from './schema.ts';
import { serveCommand } from './serve.ts';

/** tspdk's own version, from its package.json. */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function routeOutput(command: Command): void {
  command.configureOutput({ writeOut, writeErr: (text) => process.stderr.write(text) });
  for (const sub of command.commands) routeOutput(sub);
}

/** The `tspdk` program. */
export function tspdkProgram(): Command {
  const program = new Command('tspdk')
    .description('Kong Gateway plugins in TypeScript: serve, dump, configure, install and reload plugin servers')
    .version(packageVersion(), '--version', 'print the version')
    .helpOption('-h, --help', 'show help (also -help)')
    .showHelpAfterError()
    .addCommand(initCommand(packageVersion()))
    .addCommand(serveCommand())
    .addCommand(dumpCommand())
    .addCommand(kongConfCommand())
    .addCommand(installCommand())
    .addCommand(reloadCommand())
    .addCommand(schemaCommand())
    .addCommand(jsPluginServerCommand());
  routeOutput(program);
  return program;
}
