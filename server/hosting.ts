/**
 * `tspdk/server`: running plugin servers from your own program, for hosts
 * and tools. Plugin authors need only `tspdk`.
 *
 * @module
 */
export { startServer, type RunningServer, type StartOptions } from './start.ts';
export { serveOrExit, type ServeRequest } from './serve-process.ts';
export { addServerOptions, type ServerCliOptions } from './server-options.ts';
export { PluginServer, type PluginServerOptions } from './plugin-server.ts';
export { SocketPathError, type ListenOptions } from './listener.ts';
export { createLogger, silentLogger, type LogLevel, type Logger } from './logger.ts';
export { loadPlugins, type LoadedPlugin } from './loader.ts';
export { hostPlugins, declaredPlugins, clearDeclaredPlugins } from './serve.ts';
