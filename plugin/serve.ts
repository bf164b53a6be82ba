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
  /** Some plugin was declared in this process (hosts clear `plugins`, this stays). */
  declaredAny?: boolean;
  /** The check of a program Kong runs that declares no plugin is installed. */
  watching?: boolean;
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
  state.declaredAny = true;
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

/** The flags with which Kong runs a plugin file: its query command (`-dump`) and its start command. */
const KONG_RUN_FLAG = /^--?(dump|kong-prefix|socket)(=|$)/;

/**
 * A program run as Kong runs a plugin file (`-dump`, `-kong-prefix`,
 * `--socket`) that imports tspdk but never declares a plugin would
 * otherwise exit 0 having printed nothing, and Kong would read an empty
 * dump: once the program is done, say why on stderr and exit 1.
 */
function watchForNoPlugin(): void {
  const state = registry();
  const flag = process.argv.slice(2).find((arg) => KONG_RUN_FLAG.test(arg));
  if (state.watching === true || flag === undefined) return;
  state.watching = true;
  process.once('beforeExit', () => {
    const now = registry();
    if (now.hosted || now.declaredAny === true) return;
    const file = process.argv[1] ?? 'this program';
    const what = /dump/.test(flag) ? 'nothing to dump' : 'nothing to serve';
    process.stderr.write(
      `tspdk: ${file} declares no plugin, so there is ${what} (${flag}). A plugin file calls ` +
        'serve(MyPlugin, { name, version, priority }) at its top level; point Kong at that file, compiled (dist/…/my-plugin.js), ' +
        'or at `tspdk serve`/`tspdk dump` with the plugin files.\n',
    );
    process.exitCode = 1;
  });
}

watchForNoPlugin();

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
