/**
 * Plugins in kong-pdk's module format, written for these tests: a plugins
 * directory as kong-js-pluginserver users have them (single CommonJS files,
 * an ES module, package directories with their own dependencies, a
 * TypeScript file), plus the things that break kong-pdk (a helper, a module
 * that throws, console.log at load, a test folder, a folder of assets).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bin users point kong.conf at (dist/test/compat → dist/cli). */
export const JS_PLUGINSERVER = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli', 'js-pluginserver-main.js');

/** `header-stamp.js`: CommonJS, a helper file next to it, config with defaults, access and log. */
const HEADER_STAMP = `'use strict'
const { stampOf } = require('./stamp-helper.js')

class HeaderStamp {
  constructor (config) {
    this.config = config
    HeaderStamp.lastConfig = config
  }

  async access (kong) {
    const incoming = await kong.request.getHeader('x-in')
    if (incoming === undefined) await kong.response.setHeader('x-missing', 'yes')
    await kong.response.setHeader('x-stamp', stampOf(this.config, incoming))
  }

  async log (kong) {
    const status = await kong.response.getStatus()
    await kong.log.notice('header-stamp saw ', status, ' ', { upper: this.config.upper })
  }
}

module.exports = {
  Plugin: HeaderStamp,
  Schema: [
    { stamp: { type: 'string', default: 'on' } },
    { upper: { type: 'boolean', default: false } },
  ],
  Version: '1.2.0',
  Priority: 900,
}
`;

/** A helper module in the plugins directory: no `Plugin` export. */
const STAMP_HELPER = `'use strict'
exports.stampOf = (config, incoming) => {
  const text = config.stamp + ':' + (incoming === undefined ? '-' : incoming)
  return config.upper ? text.toUpperCase() : text
}
`;

/** `body-echo.cjs`: answers with the raw body, upper-cased, read as kong-pdk users do (`toString`, `length`). */
const BODY_ECHO = `'use strict'
class BodyEcho {
  constructor (config) { this.config = config }

  async access (kong) {
    const body = await kong.request.getRawBody()
    const kind = Buffer.isBuffer(body) ? 'buffer' : typeof body
    await kong.response.exit(200, body.toString().toUpperCase(), {
      'x-body-kind': kind,
      'x-body-length': String(body.length),
    })
  }
}
module.exports = { Plugin: BodyEcho, Schema: [], Version: '0.1', Priority: 10 }
`;

/** `gatekeeper/`: a package directory with its own dependency; exits, then keeps running as under kong-pdk. */
const GATEKEEPER_MAIN = `'use strict'
const allow = require('tiny-allow')

const Stats = { deniedAfterExit: 0, challenged: 0 }

class Gatekeeper {
  constructor (config) {
    this.allowed = allow(config.tokens)
  }

  async access (kong) {
    const token = await kong.request.getHeader('x-token')
    if (token === undefined) {
      await kong.response.exit(401, null, { 'www-authenticate': 'Token' })
      Stats.challenged++
      return
    }
    if (!this.allowed(token)) {
      await kong.response.exit(403, { message: 'token refused' }, { 'x-denied': 'yes' })
      Stats.deniedAfterExit++
      return
    }
    await kong.service.request.setHeader('x-gatekeeper', 'passed')
  }
}

module.exports = {
  Plugin: Gatekeeper,
  Schema: [
    { tokens: { type: 'array', elements: { type: 'string' }, required: true } },
  ],
  Version: '2.0.1',
  Priority: 1500,
  Stats,
}
`;

const TINY_ALLOW = `'use strict'
module.exports = (list) => { const set = new Set(list); return (value) => set.has(value) }
`;

/** `esm-flag.mjs`: an ES module with a `Name` in capitals (kong-pdk lower-cases it). */
const ESM_FLAG = `export class Plugin {
  constructor (config) { this.flag = config.flag }
  async rewrite (kong) {
    await kong.service.request.setHeader('x-flag', this.flag)
  }
}
export const Name = 'ESM-Flag'
export const Schema = [{ flag: { type: 'string', one_of: ['red', 'green'], default: 'green' } }]
export const Version = '3'
export const Priority = 5
`;

/** `ctx-pair/`: a package of type module whose index.js default-exports the kong-pdk object. */
const CTX_PAIR = `class CtxPair {
  constructor (config) { this.key = config.key }
  async access (kong) {
    await kong.ctx.shared.set(this.key, 'from-access')
    const back = await kong.ctx.shared.get(this.key)
    await kong.response.setHeader('x-ctx', back)
  }
}
export default { Plugin: CtxPair, Schema: [{ key: { type: 'string', required: true } }], Version: '1.0.0', Priority: 1 }
`;

/** `typed-greeting.ts`: TypeScript as kong-pdk users write it (annotations, a type-only import, module.exports). */
const TYPED_GREETING = `import type { IncomingHttpHeaders } from 'node:http'

interface GreetingConfig { greeting: string; times: number }
type Headers = IncomingHttpHeaders

class TypedGreeting {
  private readonly config: GreetingConfig
  constructor (config: GreetingConfig) { this.config = config }

  async access (kong: any): Promise<void> {
    const seen: Headers = {}
    const line: string = Array.from({ length: this.config.times }, () => this.config.greeting).join(' ')
    await kong.response.setHeader('x-greeting', line + (Object.keys(seen).length === 0 ? '' : '!'))
  }
}

module.exports = {
  Plugin: TypedGreeting,
  Schema: [
    { greeting: { type: 'string', default: 'hi' } },
    { times: { type: 'integer', between: [1, 5], default: 2 } },
  ],
  Version: '0.3.0',
  Priority: 2,
}
`;

/** `misbehave.js`: PDK calls kong-pdk lets through or breaks on, and a phase that throws. */
const MISBEHAVE = `'use strict'
class Misbehave {
  constructor (config) { this.config = config }
  async access (kong) {
    const mode = await kong.request.getHeader('x-mode')
    if (mode === 'throw') throw new Error('misbehave threw on purpose')
    if (mode === 'unknown') {
      const got = await kong.request.getNonexistentThing()
      return kong.response.setHeader('x-unknown', String(got))
    }
    if (mode === 'hole') {
      await kong.service.request.setHeader('x-hole', null, 'ignored')
      return kong.response.setHeader('x-hole-done', 'yes')
    }
    if (mode === 'newer-call') {
      try {
        await kong.service.request.clearQueryArg('apikey')
      } catch (error) {
        return kong.response.setHeader('x-newer-call', error.code + '|' + error.message)
      }
      return kong.response.setHeader('x-newer-call', 'sent')
    }
    if (mode === 'step-error') {
      try {
        await kong.service.setUpstream('nowhere')
      } catch (error) {
        return kong.response.setHeader('x-step-error', error.name + '|' + error.message)
      }
      return kong.response.setHeader('x-step-error', 'none')
    }
    if (mode === 'function-arg') {
      try {
        await kong.response.setHeader('x-fn', () => 1)
      } catch (error) {
        return kong.response.setHeader('x-bad-arg', error.code)
      }
    }
    if (mode === 'thenable') {
      const namespace = await kong.request
      return kong.response.setHeader('x-thenable', typeof namespace)
    }
    if (mode === 'error-exit') {
      await kong.response.error(418)
      return
    }
    return kong.response.setHeader('x-mode-seen', String(mode))
  }
}
module.exports = { Plugin: Misbehave, Schema: [], Version: '1.0.0', Priority: 3 }
`;

/** `config-probe.js`: the constructor throws for a config asking for it. */
const CONFIG_PROBE = `'use strict'
class ConfigProbe {
  constructor (config) {
    if (config.explode) throw new Error('constructor refused this config')
    this.keys = Object.keys(config).sort().join(',')
  }
  async access (kong) { await kong.response.setHeader('x-config-keys', this.keys) }
}
module.exports = { Plugin: ConfigProbe, Schema: [{ explode: { type: 'boolean', default: false } }], Version: '1.0.0', Priority: 4 }
`;

/** Files that kong-pdk trips over, each of which must leave the others alone. */
const TROUBLE: Record<string, string> = {
  'broken.js': "'use strict'\nthrow new Error('broken at load')\n",
  'noisy.js': [
    "'use strict'",
    "console.log('noisy plugin loading')",
    "class Noisy { access () {} }",
    "module.exports = { Plugin: Noisy, Schema: [], Version: '1.0.0', Priority: 1 }",
    '',
  ].join('\n'),
  'bad-schema.js': [
    "'use strict'",
    "class BadSchema { access () {} }",
    "module.exports = { Plugin: BadSchema, Schema: [{ mode: { type: 'string', eq: 'fixed' } }], Version: '1.0.0', Priority: 1 }",
    '',
  ].join('\n'),
  '__tests__/header-stamp.test.js': "throw new Error('a test file must never be loaded')\n",
  'assets/logo.txt': 'not a module\n',
  'README.md': '# my plugins\n',
  'types.d.ts': 'export {}\n',
};

/** The plugins of {@link writeKongPdkPlugins} by name, with their phases. */
export const FIXTURE_PLUGINS = {
  'header-stamp': ['access', 'log'],
  'body-echo': ['access'],
  gatekeeper: ['access'],
  'esm-flag': ['rewrite'],
  'ctx-pair': ['access'],
  'typed-greeting': ['access'],
  misbehave: ['access'],
  'config-probe': ['access'],
  noisy: ['access'],
} as const;

/** Writes `{relative path: text}` under `directory`. */
function writeFiles(directory: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const full = join(directory, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}

/**
 * A kong-pdk plugins directory with every fixture plugin, the helper and the
 * troublesome files; `trouble: false` leaves the troublesome files out.
 */
export function writeKongPdkPlugins(directory: string, options: { readonly trouble?: boolean } = {}): string {
  writeFiles(directory, {
    'header-stamp.js': HEADER_STAMP,
    'stamp-helper.js': STAMP_HELPER,
    'body-echo.cjs': BODY_ECHO,
    'gatekeeper/package.json': JSON.stringify({ name: 'kong-plugin-gatekeeper', version: '2.0.1', main: 'lib/main.js', dependencies: { 'tiny-allow': '1.0.0' } }),
    'gatekeeper/lib/main.js': GATEKEEPER_MAIN,
    'gatekeeper/node_modules/tiny-allow/package.json': JSON.stringify({ name: 'tiny-allow', version: '1.0.0', main: 'index.js' }),
    'gatekeeper/node_modules/tiny-allow/index.js': TINY_ALLOW,
    'esm-flag.mjs': ESM_FLAG,
    'ctx-pair/package.json': JSON.stringify({ name: 'ctx-pair', version: '1.0.0', type: 'module' }),
    'ctx-pair/index.js': CTX_PAIR,
    'typed-greeting.ts': TYPED_GREETING,
    'misbehave.js': MISBEHAVE,
    'config-probe.js': CONFIG_PROBE,
    ...(options.trouble === false ? {} : TROUBLE),
  });
  return directory;
}

/** Temporary directories of one test file, removed together. */
export class TempDirectories {
  readonly #made: string[] = [];

  /** A new empty directory. */
  make(prefix = 'tspdk-kong-pdk-'): string {
    const directory = mkdtempSync(join(tmpdir(), prefix));
    this.#made.push(directory);
    return directory;
  }

  /** A new directory holding the fixture plugins. */
  plugins(options: { readonly trouble?: boolean } = {}): string {
    return writeKongPdkPlugins(this.make(), options);
  }

  /** Removes every directory made. */
  cleanup(): void {
    for (const directory of this.#made) rmSync(directory, { recursive: true, force: true });
  }
}
