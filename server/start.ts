/**
 * Starting a plugin server programmatically: plugins, sockets, logging.
 *
 * @module
 */
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { Connection } from './wire/connection.ts';
import { listenUnix, type ListenOptions } from './wire/listener.ts';
import { PluginServer, type PluginServerOptions } from './rpc/plugin-server.ts';
import type { PluginDefinition } from '../plugin/definition.ts';

/** Options of {@link startServer}. */
export interface StartOptions extends ListenOptions, Omit<PluginServerOptions, 'logger'> {
  /** The plugins to serve. */
  readonly plugins: readonly PluginDefinition[];
  /** Socket paths to listen on; each serves every plugin. */
  readonly sockets: readonly string[];
  readonly logger: Logger;
  /** Largest message accepted from Kong, in bytes. Defaults to 128 MiB. */
  readonly maxMessageBytes?: number;
  /** Send `[2,"serverPid",pid]` on each new connection. Defaults to `true`. */
  readonly announcePid?: boolean;
  /** The pid to announce. Defaults to `process.pid`. */
  readonly pid?: number;
  /**
   * Read Kong's messages straight into the framer's buffers instead of
   * through `'data'` events (see server/wire/direct-reads.ts). Defaults to `true`.
   */
  readonly readInPlace?: boolean;
}

/** A plugin server that is listening. */
export interface RunningServer {
  readonly server: PluginServer;
  readonly sockets: readonly string[];
  /** Open connections from Kong. */
  readonly connections: number;
  /**
   * Stops listening and drops every connection. For tests and embedding
   * only: it removes the socket files, which a production server must never
   * do on exit (see {@link listenUnix}).
   */
  stop(): Promise<void>;
}

/** Starts serving `plugins` on `sockets`. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { logger } = options;
  const server = new PluginServer(options.plugins, options);
  const sockets = new Set<Socket>();
  const connectionOptions = { announcePid: options.announcePid, pid: options.pid, maxMessageBytes: options.maxMessageBytes, readInPlace: options.readInPlace };
  const accept = (accepted: Socket): void => {
    const { socket } = new Connection(accepted, server, logger, connectionOptions);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const listeners: Server[] = [];
  try {
    for (const path of options.sockets) listeners.push(await listenUnix(path, accept, options));
  } catch (error) {
    server.close();
    await Promise.all(listeners.map((listener) => new Promise((resolve) => listener.close(resolve))));
    throw error;
  }
  logger.info({ sockets: options.sockets, plugins: options.plugins.map((plugin) => plugin.name) }, 'listening');
  return {
    server,
    sockets: [...options.sockets],
    get connections() {
      return sockets.size;
    },
    async stop() {
      server.close();
      for (const socket of sockets) socket.destroy();
      await Promise.all(listeners.map((listener) => new Promise((resolve) => listener.close(resolve))));
    },
  };
}
