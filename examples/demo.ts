/**
 * A newcomer's tour: starts the hello plugin server as Kong would (a child
 * process with an empty environment), plays Kong's host against it over the
 * Unix socket, and prints what a client would get back.
 *
 *   npm run demo
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KongHost } from '../testing/host/kong-host.ts';

const here = dirname(fileURLToPath(import.meta.url));
const prefix = mkdtempSync(join(tmpdir(), 'tspdk-demo-'));
const socket = join(prefix, 'hello.socket');
const plugin = join(here, 'hello.js');

const dump = spawn(process.execPath, [plugin, '-dump'], { env: {} });
let dumped = '';
dump.stdout.on('data', (chunk: Buffer) => (dumped += chunk.toString()));
await new Promise((resolve) => dump.once('exit', resolve));
console.log(`$ node ${plugin} -dump\n${dumped}`);

console.log(`$ node ${plugin} -kong-prefix ${prefix}`);
const server = spawn(process.execPath, [plugin, '-kong-prefix', prefix], { env: {}, stdio: ['ignore', 'ignore', 'pipe'] });
let serverLog = '';
server.stderr.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
const deadline = Date.now() + 5000;
while (!existsSync(socket)) {
  if (Date.now() > deadline) throw new Error('the plugin server did not start');
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const host = new KongHost({ socket, workers: 2 });
const hello = { name: 'hello', phases: ['access'] };
for (const [message, client] of [
  ['hello', 'api.example.com'],
  ['Kong!', 'shop.example.com'],
] as const) {
  const response = await host.request([{ ...hello, config: { message }, key: `plugins:hello:${message}` }], {
    headers: { host: client },
  });
  console.log(`\nGET http://${client}/  (config.message = ${JSON.stringify(message)})`);
  console.log(`  ${response.status}  x-hello-from-typescript: ${response.headers.get('x-hello-from-typescript')?.join(', ') ?? '(missing)'}`);
}

host.close();
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
rmSync(prefix, { recursive: true, force: true });
console.log(`\nThe server's log (JSON lines on stderr):\n${serverLog.trim().replace(/^/gm, '  ')}`);
console.log('\nThe plugin server stopped on SIGTERM and left its socket for its successor. See README.md for the kong.conf lines.');
