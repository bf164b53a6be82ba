/**
 * A real `redis-server` for a test: its own process on a free loopback port,
 * its own temporary directory (no persistence), never the machine's Redis.
 * When `redis-server` is not installed, {@link REDIS_SKIP} is the one line a
 * suite is skipped with.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The `redis-server` to run: `TSPDK_REDIS_SERVER` when set (a path or a
 * name on PATH, and nothing else is tried), else the one on PATH or in
 * /usr/bin, /usr/local/bin, if any.
 */
function findRedisServer(): string | undefined {
  const chosen = process.env['TSPDK_REDIS_SERVER'];
  const candidates = chosen === undefined || chosen === '' ? ['redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server'] : [chosen];
  for (const candidate of candidates) {
    const result = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (result.status === 0 && result.stdout.includes('Redis server')) return candidate;
  }
  return undefined;
}

const REDIS_SERVER = findRedisServer();
const MISSING = 'redis-server is not installed: apt-get install redis-server (Debian/Ubuntu) to run the Redis tests';

/**
 * `undefined` when redis-server is installed; otherwise the reason to skip
 * the Redis tests, which says how to install it. With `TSPDK_REQUIRE_REDIS=1`
 * (set by `.ci/run`) a missing redis-server is never a skip: every Redis
 * test fails with that line instead, so CI cannot pass without running them.
 */
export const REDIS_SKIP: string | undefined = REDIS_SERVER === undefined && process.env['TSPDK_REQUIRE_REDIS'] !== '1' ? MISSING : undefined;

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Options of {@link startRedis}. */
export interface RedisOptions {
  /** `requirepass`. */
  readonly password?: string;
  /** `replicaof 127.0.0.1 <port>`: a read-only replica of that server. */
  readonly replicaOf?: number;
  /** Extra `--name value` directives. */
  readonly config?: Readonly<Record<string, string>>;
  /** Use this port (a restart on the same address). */
  readonly port?: number;
  /**
   * Run as a Sentinel (`--sentinel`) that monitors the primary on this port
   * under the name `tspdk` (quorum 1, down after 1 s, failover timeout 3 s).
   */
  readonly sentinelOf?: number;
  /** Serve TLS only, on the port, with these PEM files (clients are not asked for a certificate). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
}

/** A running redis-server of a test. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Runs a command with redis-cli and gives its raw output, trimmed. */
  cli(...args: string[]): Promise<string>;
  /** SIGKILL: gone at once, as a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (after {@link kill}). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that accepts connections but answers nothing. */
  pause(): void;
  resume(): void;
  /** Kills it and removes its directory. */
  stop(): Promise<void>;
}

function ping(port: number, overTls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = overTls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on(overTls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer.startsWith('+PONG') || answer.startsWith('-NOAUTH')));
  });
}

/** Starts a redis-server for a test; resolves once it answers PING. */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  if (REDIS_SERVER === undefined) throw new Error(`${MISSING} (TSPDK_REQUIRE_REDIS=1: required here)`);
  const server = REDIS_SERVER;
  const port = options.port ?? (await freePort());
  const directory = mkdtempSync(join(tmpdir(), 'tspdk-redis-'));
  const { tls } = options;
  const ports = tls === undefined ? ['--port', String(port)] : ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no'];
  const args = [...ports, '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  if (options.replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(options.replicaOf));
  for (const [name, value] of Object.entries(options.config ?? {})) args.push(`--${name}`, value);
  if (options.sentinelOf !== undefined) {
    // A Sentinel rewrites its configuration file: one of its own, in its directory.
    const conf = join(directory, 'sentinel.conf');
    const monitor = ['monitor tspdk 127.0.0.1 ' + String(options.sentinelOf) + ' 1', 'down-after-milliseconds tspdk 1000', 'failover-timeout tspdk 3000'];
    writeFileSync(conf, ['port ' + String(port), 'bind 127.0.0.1', `dir ${directory}`, ...monitor.map((line) => `sentinel ${line}`), ''].join('\n'));
    args.splice(0, args.length, conf, '--sentinel', '--loglevel', 'warning');
  }
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn(server, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const deadline = Date.now() + 10_000;
    while (!(await ping(port, tls !== undefined))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  };
  await launch();
  const auth = [...(options.password === undefined ? [] : ['--no-auth-warning', '-a', options.password]), ...(tls === undefined ? [] : ['--tls', '--cacert', tls.ca])];
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async cli(...command: string[]): Promise<string> {
      const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...auth, ...command]);
      return stdout.trim();
    },
    kill,
    restart: launch,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop(): Promise<void> {
      await kill();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A Redis Cluster of a test: `size` primaries, no replicas, every slot assigned. */
export interface TestRedisCluster {
  readonly nodes: readonly TestRedis[];
  stop(): Promise<void>;
}

/** Starts `size` (at least 3) cluster-enabled redis-servers and joins them into one cluster; resolves once it is ok. */
export async function startRedisCluster(size = 3): Promise<TestRedisCluster> {
  const nodes: TestRedis[] = [];
  try {
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      nodes.push(await startRedis({ port, config: { 'cluster-enabled': 'yes', 'cluster-config-file': `nodes-${port}.conf`, 'cluster-node-timeout': '5000' } }));
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      while (!(await node.cli('CLUSTER', 'INFO')).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error('the test Redis Cluster did not become ok');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  return { nodes, stop: async () => void (await Promise.all(nodes.map((node) => node.stop()))) };
}

/** A test CA and a server certificate it signed, for `redis.test` and 127.0.0.1, as PEM files in `directory`. */
export async function makeCertificates(directory: string): Promise<{ cert: string; key: string; ca: string }> {
  const file = (name: string): string => join(directory, name);
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args);
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=tspdk test CA');
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=redis.test');
  writeFileSync(file('san.cnf'), 'subjectAltName=DNS:redis.test,IP:127.0.0.1\n');
  await openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '2', '-extfile', file('san.cnf'));
  return { cert: file('server.pem'), key: file('server.key'), ca: file('ca.pem') };
}
