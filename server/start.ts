/**
 * Starting a plugin server programmatically: plugins, sockets, logging.
 *
 * @module
 */
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { Connection } from './wire/connection.ts';
import { listenUnix, type UnixListenOptions } from './wire/listener.ts';
import { PluginServer, type PluginServerOptions } from './rpc/plugin-server.ts';
import { announceKongVersion } from './rpc/kong-version.ts';
import { serverSettings, type ServerSettings } from './settings.ts';
import type { PluginDefinition } from '../plugin/definition.ts';

/**
 * How {@link startServer} listens: the options of the socket, and the names
 * two of them had before {@link ServerSettings}.
 */
export interface ListenOptions extends UnixListenOptions {
  /** @deprecated The old name of `socketMode`, still honoured. */
  readonly mode?: number;
  /** @deprecated The old name of `allowInsecureSocketDir`, still honoured. */
  readonly allowInsecureDirectory?: boolean;
}

/**
 * The settings {@link startServer} serves with. The others (`workers`,
 * `shutdownGraceMs`, `watchParent`) are about the process, which
 * `serveOrExit` manages.
 */
type ServingSettings = Pick<
  ServerSettings,
  | 'eventTimeoutMs'
  | 'maxMessageBytes'
  | 'socketMode'
  | 'allowInsecureSocketDir'
  | 'announcePid'
  | 'maxLiveEvents'
  | 'maxMapEntries'
  | 'maxArrayEntries'
  | 'maxNesting'
  | 'redactHeaders'
  | 'kongVersion'
  | 'metrics'
  | 'otlpEndpoint'
  | 'otlpProtocol'
  | 'traceSampler'
  | 'traceSamplerArg'
>;

/** What a server serves, besides its settings. */
interface ServedPlugins {
  /** The plugins to serve. */
  readonly plugins: readonly PluginDefinition[];
  /** Socket paths to listen on; each serves every plugin. */
  readonly sockets: readonly string[];
  readonly logger: Logger;
}

/** Options of {@link startServer}: settings left out take their defaults. */
export interface StartOptions extends ServedPlugins, ListenOptions, Partial<ServingSettings>, Omit<PluginServerOptions, 'logger'> {
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
  /** Where `/metrics` answers (`http://127.0.0.1:9464/metrics`) when the `metrics` setting is on. */
  readonly metricsUrl?: string | undefined;
  /**
   * Stops listening and drops every connection. For tests and embedding
   * only: it removes the socket files, which a production server must never
   * do on exit (see {@link listenUnix}).
   */
  stop(): Promise<void>;
}

/**
 * Starts serving `plugins` on `sockets`.
 * @throws {@link TypeError} (as a rejection) when a setting has a value it
 *   cannot take, or a setting is given under both its names.
 * @throws {@link KongVersionError} (as a rejection) for a `kongVersion` the
 *   table of PDK functions cannot check against.
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const settings = settingsOf(options);
  announceKongVersion(options.logger, settings.kongVersion);
  return startWithSettings(options, settings);
}

/** The settings that {@link startServer}'s options ask for. */
function settingsOf(options: StartOptions): ServerSettings {
  return serverSettings({
    eventTimeoutMs: options.eventTimeoutMs,
    maxMessageBytes: options.maxMessageBytes,
    socketMode: either(options, 'socketMode', 'mode'),
    allowInsecureSocketDir: either(options, 'allowInsecureSocketDir', 'allowInsecureDirectory'),
    announcePid: options.announcePid,
    kongVersion: options.kongVersion,
    maxLiveEvents: options.maxLiveEvents,
    maxMapEntries: options.maxMapEntries,
    maxArrayEntries: options.maxArrayEntries,
    maxNesting: options.maxNesting,
    redactHeaders: options.redactHeaders,
    metrics: options.metrics,
    otlpEndpoint: options.otlpEndpoint,
    otlpProtocol: options.otlpProtocol,
    traceSampler: options.traceSampler,
    traceSamplerArg: options.traceSamplerArg,
  });
}

/** A setting given under its name or its deprecated one, not both. */
function either<K extends keyof StartOptions>(options: StartOptions, name: K, oldName: keyof StartOptions): StartOptions[K] {
  const value = options[name];
  const old = options[oldName] as StartOptions[K];
  if (value !== undefined && old !== undefined && value !== old) {
    throw new TypeError(`startServer got both ${String(name)} and ${String(oldName)} (its old name) with different values; give ${String(name)} only`);
  }
  return value ?? old;
}

/** What the log says when `--socket-mode` opens what the umask closes (the mode is applied as asked). */
export function modeWarning(mode: number, umask: number): Record<string, string> {
  const octal = (bits: number): string => `0${bits.toString(8).padStart(3, '0')}`;
  return {
    socketMode: octal(mode),
    umask: octal(umask),
    hint: `the socket is created with mode ${octal(mode)} as asked; pass --socket-mode ${(mode & ~umask & 0o777).toString(8).padStart(3, '0')} to keep to the umask`,
  };
}

/** {@link StartOptions} but the settings. */
type ServerSetup = Omit<StartOptions, keyof ServingSettings | 'mode' | 'allowInsecureDirectory'>;

/**
 * Starts serving with settings built already (`serveOrExit` serving from
 * one process). `options`' own settings, if any, are not read.
 */
export async function startWithSettings(options: ServerSetup, settings: ServerSettings): Promise<RunningServer> {
  const { logger } = options;
  // Loaded only when asked for: a plain start loads no metrics or tracing library.
  const observation =
    settings.metrics === undefined && settings.otlpEndpoint === undefined
      ? undefined
      : await (await import('./observe/setup.ts')).observeServer(settings, logger, options.plugins);
  const server = new PluginServer(options.plugins, {
    ...options,
    eventTimeoutMs: settings.eventTimeoutMs,
    maxLiveEvents: settings.maxLiveEvents,
    redactHeaders: settings.redactHeaders,
    kongVersion: settings.kongVersion,
    observer: observation?.observer,
  });
  const sockets = new Set<Socket>();
  const connectionOptions = {
    announcePid: settings.announcePid,
    pid: options.pid,
    maxMessageBytes: settings.maxMessageBytes,
    maxMapEntries: settings.maxMapEntries,
    maxArrayEntries: settings.maxArrayEntries,
    maxNesting: settings.maxNesting,
    readInPlace: options.readInPlace,
  };
  const accept = (accepted: Socket): void => {
    const { socket } = new Connection(accepted, server, logger, connectionOptions);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const listenOptions: UnixListenOptions = {
    socketMode: settings.socketMode,
    allowInsecureSocketDir: settings.allowInsecureSocketDir,
    createDirectory: options.createDirectory,
    backlog: options.backlog,
    pauseOnConnect: options.pauseOnConnect,
    onModeOpensUmask: (mode, umask) => logger.warn(modeWarning(mode, umask), 'the socket mode opens the socket to users the umask closes files to'),
  };
  const listeners: Server[] = [];
  try {
    // The metrics endpoint first: if its address is taken, Kong's sockets are left alone.
    await observation?.serve({ server, connections: () => sockets.size });
    for (const path of options.sockets) listeners.push(await listenUnix(path, accept, listenOptions));
  } catch (error) {
    server.close();
    await Promise.all(listeners.map((listener) => new Promise((resolve) => listener.close(resolve))));
    await observation?.close();
    throw error;
  }
  logger.info({ sockets: options.sockets, plugins: options.plugins.map((plugin) => plugin.name) }, 'listening');
  return {
    server,
    sockets: [...options.sockets],
    get connections() {
      return sockets.size;
    },
    metricsUrl: observation?.metricsUrl,
    async stop() {
      server.close();
      for (const socket of sockets) socket.destroy();
      await Promise.all(listeners.map((listener) => new Promise((resolve) => listener.close(resolve))));
      await observation?.close();
    },
  };
}
