/**
 * Starting the servers under test, each in a fresh process.
 *
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kongPdkPluginsDir } from './kong-pdk-plugins.ts';

/** dist/bench → the repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Kong's JavaScript server, installed by `npm --prefix bench ci`. */
export const KONG_PDK_BIN = join(ROOT, 'bench', 'node_modules', 'kong-pdk', 'bin', 'kong-js-pluginserver');

/** The servers the bench knows (`tspdk-js`: `tspdk-js-pluginserver` serving kong-pdk's plugin twins). */
export type ServerName = 'floor' | 'tspdk' | 'kong-pdk' | 'tspdk-js';

/** A server process listening on `socket`. */
export interface RunningProcess {
  readonly name: string;
  readonly pid: number;
  readonly socket: string;
  /** Set when the "server" is several independent processes: every root pid, and the socket of each. */
  readonly pids?: readonly number[];
  readonly sockets?: readonly string[];
  /** What the process wrote to stderr (for failure reports). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Whether kong-pdk 0.6.0 is installed for the bench. */
export function kongPdkAvailable(): boolean {
  return existsSync(KONG_PDK_BIN);
}

function command(name: ServerName, dir: string, serverArgs: readonly string[]): { args: string[]; socket: string } {
  switch (name) {
    case 'floor':
      return { args: [join(ROOT, 'dist', 'bench', 'servers', 'floor.js'), join(dir, 'floor.sock')], socket: join(dir, 'floor.sock') };
    case 'tspdk':
      return { args: [join(ROOT, 'dist', 'bench', 'servers', 'tspdk.js'), join(dir, 'tspdk.sock'), ...serverArgs], socket: join(dir, 'tspdk.sock') };
    case 'kong-pdk':
      return {
        args: [KONG_PDK_BIN, '--plugins-directory', kongPdkPluginsDir(), '--kong-prefix', dir, '--sock-name', 'js.sock'],
        socket: join(dir, 'js.sock'),
      };
    case 'tspdk-js':
      return {
        args: [join(ROOT, 'dist', 'cli', 'js-pluginserver-main.js'), '--plugins-directory', kongPdkPluginsDir(), '--kong-prefix', dir, '--sock-name', 'js.sock'],
        socket: join(dir, 'js.sock'),
      };
  }
}

/** Spawns `name` (tspdk with `serverArgs`) and waits until its socket accepts connections. */
export function startProcess(name: ServerName, extraNodeArgs: readonly string[] = [], serverArgs: readonly string[] = []): Promise<RunningProcess> {
  return spawnServer(name, (dir) => command(name, dir, serverArgs), extraNodeArgs);
}

/** The plugin files `tspdk serve` gets in the workers bench. */
export const SERVE_PLUGINS = [join(ROOT, 'dist', 'examples', 'hello.js'), join(ROOT, 'dist', 'bench', 'plugins', 'hmac.js')];

/**
 * `tspdk serve` of `plugins` (by default examples/hello.ts and
 * bench/plugins/hmac.ts) on one socket, as a user would run it; `workers` is
 * passed as `--workers <workers>` when given (the option of issue 9), left
 * out otherwise (one process).
 */
export function startServe(workers?: string, extraNodeArgs: readonly string[] = [], plugins: readonly string[] = SERVE_PLUGINS): Promise<RunningProcess> {
  const label = workers === undefined ? 'tspdk serve' : `tspdk serve --workers ${workers}`;
  return spawnServer(
    label,
    (dir) => {
      const socket = join(dir, 'tspdk.sock');
      // Info level for the readiness line: with workers, the primary accepts
      // before every worker is ready, and logs "listening" once they all are.
      // Nothing is logged per event at info.
      const args = [join(ROOT, 'dist', 'cli', 'main.js'), 'serve', ...plugins, '--socket', socket, '--log-level', 'info'];
      if (workers !== undefined) args.push('--workers', workers);
      return { args, socket };
    },
    extraNodeArgs,
    '"msg":"listening"',
  );
}

/**
 * `count` independent single-process `tspdk serve` processes, one per
 * simulated nginx worker: no primary, a perfect split of the load. The
 * ceiling `--workers <count>` could reach with this driver on this machine.
 */
export async function startServeProcesses(count: number): Promise<RunningProcess> {
  const procs = await Promise.all(Array.from({ length: count }, () => startServe()));
  const first = procs[0] as RunningProcess;
  return {
    name: `${count} × tspdk serve`,
    pid: first.pid,
    socket: first.socket,
    pids: procs.map((p) => p.pid),
    sockets: procs.map((p) => p.socket),
    stderr: () => procs.map((p) => p.stderr()).join(''),
    async stop() {
      await Promise.all(procs.map((p) => p.stop()));
    },
  };
}

/** Whether this build's `tspdk serve` has `--workers` (issue 9). */
export function serveHasWorkers(): boolean {
  const help = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--help'], { encoding: 'utf8' });
  return help.stdout.includes('--workers');
}

/** CPUs the servers are pinned to (taskset list), set by {@link pinServers}. */
let serverCpus: string | undefined;

/**
 * Runs every server started from now on, with all its threads, on `cpus`
 * (a taskset CPU list such as `1` or `1-3`): with the driver pinned to the
 * other CPUs the two stop competing for a core, as Kong and a plugin server
 * on their own cores would not.
 */
export function pinServers(cpus: string): void {
  serverCpus = cpus;
}

async function spawnServer(
  name: string,
  command: (dir: string) => { args: string[]; socket: string },
  extraNodeArgs: readonly string[],
  readyLine?: string,
): Promise<RunningProcess> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name.split(' ')[0] as string}-`));
  const { args, socket } = command(dir);
  const argv = [...extraNodeArgs, ...args];
  // taskset execs node: the pid stays the server's.
  const child: ChildProcess =
    serverCpus === undefined
      ? spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir })
      : spawn('taskset', ['-c', serverCpus, process.execPath, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 65536) stderr += chunk.toString();
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const deadline = Date.now() + 20_000;
  while (!(await canConnect(socket)) || (readyLine !== undefined && !stderr.includes(readyLine))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start listening on ${socket}: ${stderr.slice(0, 2000)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    name,
    pid: child.pid as number,
    socket,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolveConnect) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
  });
}
