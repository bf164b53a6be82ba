/**
 * The `/metrics` endpoint: Prometheus' text format over HTTP, on a TCP
 * address (127.0.0.1 unless the user named another) or a Unix socket.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { listenUnix } from '../wire/listener.ts';
import type { MetricsAddress } from './address.ts';

/** A listening `/metrics` endpoint. */
export interface MetricsEndpoint {
  /** Where it answers: `http://host:port/metrics`, or `unix:<path>:/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves what `scrape` returns on `GET /metrics` at `address`. */
export async function serveMetrics(address: MetricsAddress, scrape: () => Promise<string>, logger: Logger): Promise<MetricsEndpoint> {
  const http = createServer((request, response) => void answer(request, response, scrape, logger));
  http.on('clientError', (_error, socket) => socket.destroy());
  if (address.kind === 'unix') {
    // Stale sockets and unsafe directories are handled as for Kong's sockets.
    const listener = await listenUnix(address.path, (socket) => http.emit('connection', socket), { socketMode: 0o660 });
    const url = `unix:${address.path}:/metrics`;
    logger.info({ metrics: url }, 'metrics endpoint listening');
    return { url, close: () => closeBoth(listener, http) };
  }
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(address.port, address.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const bound = http.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const url = `http://${host}:${bound.port}/metrics`;
  logger.info({ metrics: url }, 'metrics endpoint listening');
  return { url, close: () => closeBoth(undefined, http) };
}

async function answer(request: IncomingMessage, response: ServerResponse, scrape: () => Promise<string>, logger: Logger): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== '/metrics') return end(response, 404, 'not found: the metrics are at /metrics\n');
  if (request.method !== 'GET' && request.method !== 'HEAD') return end(response, 405, 'method not allowed: use GET\n', { allow: 'GET, HEAD' });
  let text: string;
  try {
    text = await scrape();
  } catch (error) {
    logger.error({ err: error }, 'cannot collect the metrics');
    return end(response, 500, 'cannot collect the metrics; see the server log\n');
  }
  response.writeHead(200, { 'content-type': Registry.PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
  response.end(request.method === 'HEAD' ? undefined : text);
}

function end(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  response.end(text);
}

async function closeBoth(listener: { close(done: () => void): unknown } | undefined, http: ReturnType<typeof createServer>): Promise<void> {
  http.closeAllConnections();
  await Promise.all([
    new Promise<void>((resolve) => http.close(() => resolve())),
    listener === undefined ? undefined : new Promise<void>((resolve) => listener.close(() => resolve())),
  ]);
}
