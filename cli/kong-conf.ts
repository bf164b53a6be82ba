/**
 * kong.conf lines (and `KONG_*` environment variables) for serving plugins
 * with tspdk, following Kong's conf rules (docs/protocol.md §2.1):
 *
 * - `pluginserver_names` entries are lower-cased by Kong (2.4+), and a name's
 *   properties are `pluginserver_<name with - turned into _>_<property>`;
 * - env variables are `KONG_` + the property upper-cased (Kong lower-cases
 *   them back);
 * - Kong's default socket is `/usr/local/kong/<name>.socket` in 2.3–3.8 (not
 *   prefix-based) and `<prefix>/<name>.socket` in 3.9+, so every entry spells
 *   its socket out;
 * - Kong starts servers with an empty environment and a minimal PATH, so every
 *   command uses absolute paths;
 * - Kong 3.9+ reads one plugin per query command: one entry per plugin;
 * - Kong 3.1–3.4 run a plugin only once its server passed a readiness check
 *   that they make only for servers they start (entries with a start_cmd).
 *
 * @module
 */

/** A plugin to configure: its name and the module that declares it. */
interface ConfPlugin {
  readonly name: string;
  /** Absolute path of its module. */
  readonly file: string;
}

/** A Kong version, major and minor. */
export interface KongVersion {
  readonly major: number;
  readonly minor: number;
  /** As the user wrote it, when the servers are to check PDK calls against it (`--kong-version`). */
  readonly text?: string;
}

/** Inputs of {@link kongConfLayouts}. */
interface KongConfOptions {
  readonly plugins: readonly ConfPlugin[];
  /** Kong's prefix (sockets and pid files go there). */
  readonly prefix: string;
  /** Absolute path of the node binary. */
  readonly node: string;
  /** Absolute path of tspdk's `cli/main.js`. */
  readonly cli: string;
  /**
   * Only print layouts that work on this Kong version; with its `text`, the
   * start commands also pass it on as `--kong-version` (PDK calls it lacks
   * then reject at once).
   */
  readonly kongVersion?: KongVersion;
  /** Only this layout. */
  readonly layout?: LayoutId;
  /** `--workers` of the servers Kong starts (`auto` or a count); left out when absent or 1. */
  readonly workers?: string;
}

/** Layout identifiers. */
export type LayoutId = 'per-plugin' | 'shared' | 'shared-single';

/** One `pluginserver_names` entry. */
interface ServerEntry {
  readonly name: string;
  readonly socket: string;
  /** Unset: Kong treats the server as externally managed. */
  readonly startCmd?: string;
  readonly queryCmd: string;
}

/** A deployment layout: what kong.conf says and why. */
interface Layout {
  readonly id: LayoutId;
  readonly title: string;
  /** Comment lines explaining the layout and its version caveats. */
  readonly notes: readonly string[];
  /** Plugin names for `plugins = bundled,…`. */
  readonly plugins: readonly string[];
  readonly entries: readonly ServerEntry[];
  /** Whether it works on a Kong version. */
  readonly worksOn: (version: KongVersion) => boolean;
}

/** Name of the single server entry of the Kong ≤ 3.8 shared layout. */
const SHARED_ENTRY = 'tspdk';

/** Parses `3.9`, `3.9.1` or `2.8.5`. */
export function parseKongVersion(text: string): KongVersion | undefined {
  const match = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(text.trim());
  if (match === null) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

function atLeast(version: KongVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

/** Kong 3.1–3.4: plugins of servers Kong does not start never run. */
function hasReadinessCheck(version: KongVersion): boolean {
  return version.major === 3 && version.minor >= 1 && version.minor <= 4;
}

/** Kong 3.9+: one plugin per query command. */
function readsFirstPluginOnly(version: KongVersion): boolean {
  return atLeast(version, 3, 9);
}

/** Quotes one argument for `/bin/sh` (Kong runs `exec <cmd>` through it). */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_/.,:=@%+-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

function command(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}

/** `pluginserver_<name, - as _>_<property>`, as Kong's conf loader builds it. */
export function propertyName(entry: string, property: 'socket' | 'start_cmd' | 'query_cmd'): string {
  return `pluginserver_${entry.toLowerCase().replaceAll('-', '_')}_${property}`;
}

/** The environment variable Kong reads for a kong.conf property. */
function envName(property: string): string {
  return `KONG_${property.toUpperCase()}`;
}

/** The layouts for `options`, all of them or those that work on `options.kongVersion`. */
export function kongConfLayouts(options: KongConfOptions): Layout[] {
  const { prefix, node, cli } = options;
  const names = options.plugins.map((plugin) => plugin.name);
  const files = [...new Set(options.plugins.map((plugin) => plugin.file))];
  const socketOf = (name: string): string => `${prefix}/${name}.socket`;
  const dumpOne = (plugin: ConfPlugin): string => command([node, cli, 'dump', plugin.file, '--plugin', plugin.name]);
  const first = names[0] ?? '';
  const workers = options.workers === undefined || options.workers === '1' ? [] : ['--workers', options.workers];
  const checked = options.kongVersion?.text;
  const serverArgs = checked === undefined ? workers : [...workers, '--kong-version', checked];

  const perPlugin: Layout = {
    id: 'per-plugin',
    title: 'one process per plugin (every Kong version)',
    notes: [
      'Each plugin has its own entry, socket and Node process (about 40-50 MB each).',
      'Kong starts, restarts and stops each process; a crash affects one plugin.',
      `Reload a plugin's code: tspdk reload --pid-file ${prefix}/<name>.tspdk.pid`,
    ],
    plugins: names,
    entries: options.plugins.map((plugin) => ({
      name: plugin.name,
      socket: socketOf(plugin.name),
      startCmd: command([
        node, cli, 'serve', plugin.file, '--plugin', plugin.name, '--kong-prefix', prefix, '--pid-file', `${prefix}/${plugin.name}.tspdk.pid`, ...serverArgs,
      ]),
      queryCmd: dumpOne(plugin),
    })),
    worksOn: () => true,
  };

  const shared: Layout = {
    id: 'shared',
    title: 'one shared process, one entry per plugin (Kong 3.9+; also 2.3-3.0 and 3.5-3.8; NOT 3.1-3.4)',
    notes: [
      'One `tspdk serve` process serves every plugin, each on its own socket.',
      'Kong 3.9+ registers only the first plugin of each query command, so each plugin has its own',
      `entry and query command. Only the first entry (${first}) has a start_cmd: Kong starts, restarts`,
      'and stops the shared process through it. Kong treats the other entries as externally managed',
      '(3.9+ logs "start_command undefined for pluginserver <name>; assuming external process',
      'management" for each: expected, their sockets belong to the shared process).',
      'Kong 3.1-3.4 would never run the plugins of entries without a start_cmd (their socket',
      'readiness check only covers servers Kong starts): use the single-entry layout there.',
      'Leave no /usr/local/bin/<name> executable for those entries (e.g. from `tspdk install`):',
      'Kong would run it as their start command and two servers would fight over the socket.',
      `Reload the code of every plugin: tspdk reload --pid-file ${prefix}/tspdk.pid`,
    ],
    plugins: names,
    entries: options.plugins.map((plugin, index) => ({
      name: plugin.name,
      socket: socketOf(plugin.name),
      ...(index === 0
        ? { startCmd: command([node, cli, 'serve', ...files, '--plugin', names.join(','), '--kong-prefix', prefix, '--pid-file', `${prefix}/tspdk.pid`, ...serverArgs]) }
        : {}),
      queryCmd: dumpOne(plugin),
    })),
    worksOn: (version) => !hasReadinessCheck(version),
  };

  const single: Layout = {
    id: 'shared-single',
    title: 'one shared process, one entry for all plugins (Kong 2.3-3.8 only; NOT 3.9+)',
    notes: [
      `One entry (${SHARED_ENTRY}) whose query command dumps every plugin and whose one socket serves`,
      'them all. Kong 2.3-3.8 register every plugin of a dump. Kong 3.9+ would register only the',
      'first one and report the others as "enabled but not installed" (Kong#14701): switch to the',
      'one-entry-per-plugin layout before upgrading.',
      `Reload the code of every plugin: tspdk reload --pid-file ${prefix}/tspdk.pid`,
    ],
    plugins: names,
    entries: [
      {
        name: SHARED_ENTRY,
        socket: socketOf(SHARED_ENTRY),
        startCmd: command([
          node, cli, 'serve', ...files, '--plugin', names.join(','), '--kong-prefix', prefix,
          '--socket', socketOf(SHARED_ENTRY), '--pid-file', `${prefix}/tspdk.pid`, ...serverArgs,
        ]),
        queryCmd: command([node, cli, 'dump', ...files, '--plugin', names.join(',')]),
      },
    ],
    worksOn: (version) => !readsFirstPluginOnly(version),
  };

  const version = options.kongVersion;
  return [perPlugin, shared, single].filter(
    (layout) => (version === undefined || layout.worksOn(version)) && (options.layout === undefined || layout.id === options.layout),
  );
}

/** Escapes a kong.conf value (`#` starts a comment there). */
function confValue(value: string): string {
  return value.replaceAll('#', '\\#');
}

/** The kong.conf properties of a layout, in order. */
function layoutProperties(layout: Layout): Array<[string, string]> {
  const properties: Array<[string, string]> = [
    ['plugins', `bundled,${layout.plugins.join(',')}`],
    ['pluginserver_names', layout.entries.map((entry) => entry.name).join(',')],
  ];
  for (const entry of layout.entries) {
    properties.push([propertyName(entry.name, 'socket'), entry.socket]);
    if (entry.startCmd !== undefined) properties.push([propertyName(entry.name, 'start_cmd'), entry.startCmd]);
    properties.push([propertyName(entry.name, 'query_cmd'), entry.queryCmd]);
  }
  return properties;
}

/** kong.conf lines of a layout. */
function confLines(layout: Layout): string[] {
  return layoutProperties(layout).map(([key, value]) => `${key} = ${confValue(value)}`);
}

/** Environment lines of a layout (`KEY=value`, as docker's --env-file reads them). */
function envLines(layout: Layout): string[] {
  return layoutProperties(layout).map(([key, value]) => `${envName(key)}=${value}`);
}

/** The environment variables of a layout, in order, as `[name, value]` (a Dockerfile's ENV). */
export function layoutEnvironment(layout: Layout): Array<[string, string]> {
  return layoutProperties(layout).map(([key, value]) => [envName(key), value]);
}

/** Output formats of `tspdk kong-conf`. */
export type ConfFormat = 'both' | 'conf' | 'env';

/** Marks the start of a layout's kong.conf lines. */
const CONF_HEADER = '# ---- kong.conf ----';
/** Marks the start of a layout's environment lines. */
const ENV_HEADER = '# ---- environment (docker --env-file / compose env_file format; quote values in a shell) ----';

/** The whole text `tspdk kong-conf` prints. */
export function renderKongConf(options: KongConfOptions, format: ConfFormat = 'both'): string {
  const layouts = kongConfLayouts(options);
  const out: string[] = [];
  if (format === 'both') {
    const names = options.plugins.map((plugin) => plugin.name).join(', ');
    out.push(
      `# Kong configuration for ${options.plugins.length} tspdk plugin(s): ${names}`,
      '# Generated by `tspdk kong-conf`. Pick ONE layout; paste its kong.conf lines, or set its',
      '# environment variables in a container.',
      '# Kong starts plugin servers with an empty environment and a minimal PATH, so every command',
      `# is absolute (node: ${options.node}).`,
      "# Every entry spells out its socket: Kong's default is /usr/local/kong/<name>.socket in",
      '# 2.3-3.8 (whatever the prefix) and <prefix>/<name>.socket in 3.9+.',
      '# Kong lower-cases entry names and turns "-" into "_" in property names.',
    );
    if (options.kongVersion !== undefined) {
      const { major, minor, text } = options.kongVersion;
      out.push(`# Only layouts that work on Kong ${text ?? `${major}.${minor}`} are shown.`);
      if (text !== undefined) {
        out.push(`# Each start command passes --kong-version ${text}: PDK calls Kong ${text} lacks reject at once with PDK_UNAVAILABLE.`);
      }
    }
  }
  layouts.forEach((layout, index) => {
    if (format === 'both') {
      out.push('', `# ==== Layout ${index + 1} (${layout.id}): ${layout.title} ====`, ...layout.notes.map((note) => `# ${note}`), CONF_HEADER);
      out.push(...confLines(layout), ENV_HEADER, ...envLines(layout));
    } else {
      if (index > 0) out.push('');
      out.push(`# Layout ${layout.id}: ${layout.title}`, ...(format === 'conf' ? confLines(layout) : envLines(layout)));
    }
  });
  return `${out.join('\n')}\n`;
}
