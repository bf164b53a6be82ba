/**
 * `serve(Plugin, info)`: the one call that turns a file into a plugin.
 *
 * Run directly (`node hello.js -kong-prefix …`), the file becomes a plugin
 * microservice. Imported by a host (the `tspdk` command, the test kit, a
 * test), it only registers the plugin: the host sets the hosted flag before
 * or while the file loads, and the standalone start, deferred to the next
 * turn of the event loop, does not happen.
 *
 * @module
 */
import { definePlugin, type PluginClass, type PluginDefinition, type PluginInfo } from './definition.ts';
import { runStandalone } from '../server/process/standalone.ts';

interface Registry {
  hosted: boolean;
  plugins: PluginDefinition[];
  scheduled: boolean;
}

const KEY = Symbol.for('tspdk.registry');

/** Shared by every copy of tspdk loaded in the process. */
function registry(): Registry {
  const holder = globalThis as typeof globalThis & { [KEY]?: Registry };
  return (holder[KEY] ??= { hosted: false, plugins: [], scheduled: false });
}

/**
 * Declares a plugin and, when its file is the program being run, serves it
 * over Kong's MsgPack:1 protocol (the counterpart of go-pdk's
 * `server.StartServer`). Command line: `-dump`, `-kong-prefix DIR`,
 * `--socket PATH`, `-help`.
 *
 * @example
 * class Hello extends Config({ message: field.string({ default: 'hello' }) }) {
 *   async access(kong: Kong) {
 *     await kong.response.setHeader('x-hello', this.message);
 *   }
 * }
 * serve(Hello, { name: 'hello', version: '0.1.0', priority: 1 });
 *
 * @throws {@link PluginDefinitionError} when the info or the class breaks Kong's rules.
 */
export function serve(plugin: PluginClass, info: PluginInfo): PluginDefinition {
  const definition = definePlugin(plugin, info);
  const state = registry();
  state.plugins.push(definition);
  if (!state.hosted && !state.scheduled) {
    state.scheduled = true;
    setImmediate(startIfNotHosted);
  }
  return definition;
}

function startIfNotHosted(): void {
  const state = registry();
  state.scheduled = false;
  if (state.hosted) return;
  const [plugin, ...others] = state.plugins;
  if (plugin === undefined) return;
  if (others.length > 0) {
    process.stderr.write(
      `tspdk: this program declares ${state.plugins.length} plugins (${state.plugins.map((p) => p.name).join(', ')}); ` +
        'a standalone plugin serves one (Kong 3.9+ reads one plugin per query command). Use `tspdk serve` for several.\n',
    );
    process.exit(2);
  }
  void runStandalone(plugin);
}

/**
 * Marks this process as a host: plugins declared with {@link serve} from now
 * on (or already, if their standalone start has not run yet) are only
 * registered, not started; {@link declaredPlugins} lists them.
 */
export function hostPlugins(): void {
  registry().hosted = true;
}

/** Plugins declared with {@link serve} in this process so far. */
export function declaredPlugins(): readonly PluginDefinition[] {
  return [...registry().plugins];
}

/** Forgets the plugins declared so far (hosts that load modules one by one). */
export function clearDeclaredPlugins(): void {
  registry().plugins.length = 0;
}
