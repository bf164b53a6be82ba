/**
 * `tspdk reload`: asks a running `tspdk serve` to reload its plugin code
 * (SIGHUP). The outcome, reloaded or refused with the schema diff, is in the
 * server's log (Kong's error.log at info level, or the server's stderr).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { CliError, warn } from './output.ts';
import { DEFAULT_KONG_PREFIX, positiveInteger } from './options.ts';
import { readPidFile } from './pid-file.ts';

/** Options of `tspdk reload`. */
interface ReloadOptions {
  readonly pid?: number;
  readonly pidFile?: string;
  readonly kongPrefix: string;
}

/** Whether `pid` looks like a tspdk server (Linux only; elsewhere trusted). */
function looksLikeServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('serve');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !process.platform.startsWith('linux');
  }
}

function runReload(options: ReloadOptions): void {
  const pidFile = options.pidFile ?? join(options.kongPrefix, 'tspdk.pid');
  const pid = options.pid ?? readPidFile(pidFile);
  if (pid === undefined) throw new CliError(`no pid in ${pidFile}; pass --pid or --pid-file`);
  if (!looksLikeServer(pid)) throw new CliError(`process ${pid} is not a running \`tspdk serve\` (stale pid file?)`);
  try {
    process.kill(pid, 'SIGHUP');
  } catch (error) {
    throw new CliError(`cannot signal process ${pid}: ${(error as Error).message}`);
  }
  warn(`sent SIGHUP to ${pid}; the server logs whether the reload was done or refused`);
}

/** The `reload` subcommand. */
export function reloadCommand(): Command {
  return new Command('reload')
    .description('reload the plugin code of a running `tspdk serve` (its schema must not change)')
    .option('--pid <pid>', 'the server process', positiveInteger)
    .option('--pid-file <path>', 'the pid file the server writes (default: <kong-prefix>/tspdk.pid)')
    .option('--kong-prefix <dir>', "Kong's prefix", DEFAULT_KONG_PREFIX)
    .action((options: ReloadOptions) => runReload(options));
}
