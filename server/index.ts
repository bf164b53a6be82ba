/**
 * `tspdk/server`: running plugin servers from your own program, for hosts
 * and tools. Plugin authors need only `tspdk`.
 *
 * @module
 */
export { startServer, type ListenOptions, type RunningServer, type StartOptions } from './start.ts';
export type { ServerSettings } from './settings.ts';
export { serveOrExit, type ServeRequest } from './process/serve-process.ts';
export { addServerOptions, type ServerCliOptions } from './process/options.ts';
export { PluginServer, type PluginServerOptions } from './rpc/plugin-server.ts';
export { SocketPathError } from './wire/listener.ts';
export { createLogger, silentLogger, type LogLevel, type Logger } from './process/logger.ts';
export { loadPlugins, type LoadedPlugin } from './modules/loader.ts';
export { hostPlugins, declaredPlugins, clearDeclaredPlugins } from '../plugin/serve.ts';
