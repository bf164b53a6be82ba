/**
 * What the server may write about Kong's traffic in its own log.
 *
 * At the default level (`info`) the server logs no header, body or config
 * value at all. At `debug` it logs every RPC (method, msgid, ids, sizes, and
 * the data shown by {@link RpcLog}) with secrets replaced by `[REDACTED]`:
 * the headers `authorization`, `cookie`, `proxy-authorization` and
 * `set-cookie` (in header maps, in `get_header`/`set_header` calls and their
 * results), credentials, bodies (shown as sizes only), and the values of the
 * plugin's secret config fields, those declared `encrypted` or
 * `referenceable`, wherever such a value shows up.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { FieldSpec } from '../../schema/index.ts';
import type { Replier } from './event.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import { Method } from '../wire/envelope.ts';

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Header names (lower case) whose values are never logged, and whose values
 * a plugin reads are redacted from its error messages: credentials, by
 * default. `--redact-headers` adds names; query arguments of the same names
 * (`?apikey=`) are treated alike.
 */
export const CREDENTIAL_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'apikey',
  'api-key',
  'x-api-key',
  'x-apikey',
  'x-auth-token',
  'x-access-token',
  'x-amz-security-token',
  'x-csrf-token',
  'x-xsrf-token',
]);

/** The header names to redact: {@link CREDENTIAL_HEADERS} and `extra` (lower case). */
export function secretHeaderNames(extra: readonly string[] = []): ReadonlySet<string> {
  return new Set([...CREDENTIAL_HEADERS, ...extra.map((name) => name.toLowerCase())]);
}

/** PDK methods whose first argument names a header and whose result (or second argument) is its value. */
const HEADER_VALUE_METHODS: ReadonlySet<string> = new Set([
  'kong.request.get_header',
  'kong.response.get_header',
  'kong.service.response.get_header',
  'kong.response.set_header',
  'kong.response.add_header',
  'kong.service.request.set_header',
  'kong.service.request.add_header',
  'kong.request.get_query_arg',
]);

/** PDK methods that carry bodies or whole requests: only sizes are logged. */
const BODY_METHODS: ReadonlySet<string> = new Set([
  'kong.request.get_raw_body',
  'kong.request.get_body',
  'kong.response.get_raw_body',
  'kong.service.response.get_raw_body',
  'kong.service.response.get_body',
  'kong.service.request.set_body',
  'kong.service.request.set_raw_body',
  'kong.log.serialize',
  'kong.client.get_credential',
  'kong.client.authenticate',
]);

/** Nested secret config fields: `true` for a secret field, a subtree for a record. */
type SecretTree = ReadonlyMap<string, true | SecretTree>;

const MAX_DEPTH = 6;
const MAX_ITEMS = 32;
const MAX_STRING = 256;
const MAX_SECRETS = 4096;
const MAX_TRACKED_EVENTS = 16_384;
/** Secrets shorter than this are redacted only where a value equals them (a short one would hide everything). */
const MIN_CONTAINED_SECRET = 6;

/** Whether a field spec is a secret (Kong's `encrypted` or `referenceable`). */
function isSecretSpec(spec: FieldSpec): boolean {
  const options = spec.options as { encrypted?: unknown; referenceable?: unknown };
  return options.encrypted === true || options.referenceable === true;
}

/** The secret fields of a record of field specs, by name and nesting. */
export function secretTree(fields: Readonly<Record<string, FieldSpec>>): SecretTree {
  const tree = new Map<string, true | SecretTree>();
  for (const [name, spec] of Object.entries(fields)) {
    if (isSecretSpec(spec) || (spec.elements !== undefined && isSecretSpec(spec.elements)) || (spec.values !== undefined && isSecretSpec(spec.values))) {
      tree.set(name, true);
      continue;
    }
    const nested = spec.fields ?? spec.elements?.fields ?? spec.values?.fields;
    if (nested !== undefined) {
      const sub = secretTree(nested);
      if (sub.size > 0) tree.set(name, sub);
    }
  }
  return tree;
}

/**
 * Calls `visit` with each value of `config` that sits in a secret field;
 * arrays and maps of records are walked element by element.
 */
function eachSecret(config: unknown, tree: SecretTree, visit: (value: unknown) => void, depth = 0): void {
  if (depth > MAX_DEPTH || config === null || typeof config !== 'object') return;
  if (Array.isArray(config)) {
    for (const item of config) eachSecret(item, tree, visit, depth + 1);
    return;
  }
  const record = config as Record<string, unknown>;
  for (const [name, node] of tree) {
    if (!Object.hasOwn(record, name)) continue;
    const value = record[name];
    if (node === true) visit(value);
    else if (Array.isArray(value)) for (const item of value) eachSecret(item, node, visit, depth + 1);
    else eachSecret(value, node, visit, depth + 1);
  }
}

/**
 * A copy of `config` with the values of secret fields replaced by
 * {@link REDACTED}; the rest as {@link RpcLog} shows values.
 */
export function redactConfig(config: unknown, tree: SecretTree): unknown {
  return redactTree(config, tree, 0);
}

function redactTree(value: unknown, tree: SecretTree, depth: number): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => redactTree(item, tree, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const node = tree.get(key);
    if (node === true) out[key] = REDACTED;
    else if (node !== undefined) out[key] = Array.isArray(item) ? item.map((x) => redactTree(x, node, depth + 2)) : redactTree(item, node, depth + 1);
    else out[key] = item;
  }
  return out;
}

/**
 * Config problems as they may be logged: a pattern rule's message quotes the
 * offending value (`invalid value: …`), which may be a secret, so it is cut.
 */
export function redactProblems(problems: readonly string[]): string[] {
  return problems.map((problem) => {
    const at = problem.indexOf('invalid value');
    return at < 0 ? problem : `${problem.slice(0, at)}invalid value`;
  });
}

/** An approximate size in bytes of a decoded value (strings as UTF-16 units). */
function sizeOf(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value === null || typeof value !== 'object') return value === undefined ? 0 : 8;
  if (depth > MAX_DEPTH) return 0;
  let size = 0;
  if (Array.isArray(value)) for (const item of value) size += sizeOf(item, depth + 1);
  else for (const [key, item] of Object.entries(value as Record<string, unknown>)) size += key.length + sizeOf(item, depth + 1);
  return size;
}

/**
 * Logs every RPC at debug level, redacted. Created by the plugin server; only
 * used when `logger.isLevelEnabled('debug')`.
 */
export class RpcLog {
  readonly #logger: Logger;
  readonly #plugin: (name: string) => PluginDefinition | undefined;
  readonly #secretHeaders: ReadonlySet<string>;
  readonly #trees = new Map<string, SecretTree>();
  /** Values of secret config fields seen in StartInstance: redacted wherever they appear. */
  readonly #secrets = new Set<string>();
  /** Events whose next Step carries a secret (a secret header's value, a body). */
  readonly #sensitiveSteps = new Map<unknown, 'value' | 'body'>();

  constructor(logger: Logger, plugin: (name: string) => PluginDefinition | undefined, secretHeaders: ReadonlySet<string> = secretHeaderNames()) {
    this.#logger = logger;
    this.#plugin = plugin;
    this.#secretHeaders = secretHeaders;
  }

  /** Logs Kong's request and returns a replier that logs the answer. */
  request(replier: Replier, msgid: number, method: string, params: unknown): Replier {
    const arg = Array.isArray(params) ? (params[0] as unknown) : params;
    const fields: Record<string, unknown> = { rpc: 'request', msgid, method, size: sizeOf(params) };
    let plugin: PluginDefinition | undefined;
    if (arg !== null && typeof arg === 'object' && !Array.isArray(arg) && !(arg instanceof Uint8Array)) {
      const record = arg as Record<string, unknown>;
      if ('InstanceId' in record) fields['instanceId'] = this.#show(record['InstanceId']);
      if ('EventName' in record) fields['eventName'] = this.#show(record['EventName']);
      if ('EventId' in record) {
        fields['eventId'] = this.#show(record['EventId']);
        if ('Data' in record) fields['data'] = this.#stepData(record['EventId'], record['Data']);
      }
      if (method === Method.startInstance) {
        plugin = typeof record['Name'] === 'string' ? this.#plugin(record['Name']) : undefined;
        fields['name'] = this.#show(record['Name']);
        fields['config'] = this.#startConfig(plugin, record['Config']);
      }
    } else if (arg !== undefined) {
      fields['arg'] = this.#show(arg);
    }
    this.#logger.debug(fields, 'rpc');
    return {
      reply: (replyMsgid, error, result) => {
        this.#reply(method, plugin, replyMsgid, error, result);
        return replier.reply(replyMsgid, error, result);
      },
    };
  }

  #reply(method: string, plugin: PluginDefinition | undefined, msgid: number, error: string | null, result: unknown): void {
    const fields: Record<string, unknown> = { rpc: 'reply', msgid, method };
    if (error !== null) fields['error'] = this.#show(error);
    const record = result !== null && typeof result === 'object' && !Array.isArray(result) ? (result as Record<string, unknown>) : undefined;
    if (record !== undefined && 'EventId' in record) {
      fields['eventId'] = this.#show(record['EventId']);
      const data = record['Data'];
      if (data === 'ret') fields['data'] = 'ret';
      else if (data !== null && typeof data === 'object') {
        const call = data as { Method?: unknown; Args?: unknown };
        fields['call'] = this.#show(call.Method);
        const args = Array.isArray(call.Args) ? call.Args : [];
        fields['args'] = this.#callArgs(record['EventId'], call.Method, args);
        fields['size'] = sizeOf(args);
      }
    } else if (record !== undefined && method === Method.startInstance) {
      fields['instanceId'] = this.#show(record['Id']);
      const tree = plugin === undefined ? undefined : this.#tree(plugin);
      fields['config'] = tree === undefined ? '[not shown]' : this.#show(redactConfig(record['Config'], tree));
    } else if (result !== null && result !== undefined) {
      fields['size'] = sizeOf(result);
    }
    this.#logger.debug(fields, 'rpc');
  }

  /** What a PDK call sends: secret header values and bodies hidden; remembers what its result will hold. */
  #callArgs(eventId: unknown, method: unknown, args: readonly unknown[]): unknown {
    if (typeof method !== 'string') return this.#show(args);
    if (this.#sensitiveSteps.size > MAX_TRACKED_EVENTS) this.#sensitiveSteps.clear();
    if (BODY_METHODS.has(method)) {
      this.#sensitiveSteps.set(eventId, 'body');
      return args.map((arg) => `<${sizeOf(arg)} bytes>`);
    }
    if (HEADER_VALUE_METHODS.has(method) && typeof args[0] === 'string' && this.#secretHeaders.has(args[0].toLowerCase())) {
      this.#sensitiveSteps.set(eventId, 'value');
      return [args[0], ...args.slice(1).map(() => REDACTED)];
    }
    if (method === 'kong.response.exit' || method === 'kong.response.error') {
      return args.map((arg, index) => (index === 1 ? `<${sizeOf(arg)} bytes>` : this.#show(arg)));
    }
    this.#sensitiveSteps.delete(eventId);
    return this.#show(args);
  }

  #stepData(eventId: unknown, data: unknown): unknown {
    const kind = this.#sensitiveSteps.get(eventId);
    this.#sensitiveSteps.delete(eventId);
    if (kind === 'value') return REDACTED;
    if (kind === 'body') return `<${sizeOf(data)} bytes>`;
    return this.#show(data);
  }

  #startConfig(plugin: PluginDefinition | undefined, json: unknown): unknown {
    if (typeof json !== 'string') return this.#show(json);
    if (plugin === undefined) return `<${json.length} chars>`;
    let config: unknown;
    try {
      config = JSON.parse(json, (key, value: unknown) => (key === '__proto__' ? undefined : value));
    } catch {
      return `<${json.length} chars, not JSON>`;
    }
    const tree = this.#tree(plugin);
    eachSecret(config, tree, (value) => this.#remember(value));
    return this.#show(redactConfig(config, tree));
  }

  #tree(plugin: PluginDefinition): SecretTree {
    let tree = this.#trees.get(plugin.name);
    if (tree === undefined) {
      tree = secretTree(plugin.configSchema.fields);
      this.#trees.set(plugin.name, tree);
    }
    return tree;
  }

  #remember(value: unknown, depth = 0): void {
    if (typeof value === 'string') {
      if (value === '') return;
      if (this.#secrets.size >= MAX_SECRETS) this.#secrets.clear();
      this.#secrets.add(value);
    } else if (value !== null && typeof value === 'object' && depth < MAX_DEPTH) {
      for (const item of Object.values(value)) this.#remember(item, depth + 1);
    }
  }

  /** A loggable copy of a value: bounded, bytes as sizes, secret headers and secret values redacted. */
  #show(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.#string(value);
    if (value === null || typeof value !== 'object') return value ?? null;
    if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
    if (depth >= MAX_DEPTH) return '[…]';
    if (Array.isArray(value)) {
      const shown = value.slice(0, MAX_ITEMS).map((item) => this.#show(item, depth + 1));
      if (value.length > MAX_ITEMS) shown.push(`… ${value.length - MAX_ITEMS} more`);
      return shown;
    }
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (++count > MAX_ITEMS) {
        out['…'] = 'more keys';
        break;
      }
      out[truncate(key)] = this.#secretHeaders.has(key.toLowerCase()) ? REDACTED : this.#show(item, depth + 1);
    }
    return out;
  }

  /** A string value: redacted when it is, or (for secrets long enough to tell) contains, a secret. */
  #string(value: string): string {
    if (this.#secrets.has(value)) return REDACTED;
    for (const secret of this.#secrets) if (secret.length >= MIN_CONTAINED_SECRET && value.includes(secret)) return REDACTED;
    return truncate(value);
  }
}

function truncate(value: string): string {
  return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} chars)` : value;
}

/** Secret trees by plugin: built once per plugin definition. */
const trees = new WeakMap<PluginDefinition, SecretTree>();

/** The strings in the secret config fields of `config` (Kong's `encrypted` or `referenceable`). */
export function configSecrets(plugin: PluginDefinition, config: unknown): string[] {
  let tree = trees.get(plugin);
  if (tree === undefined) {
    tree = secretTree(plugin.configSchema.fields);
    trees.set(plugin, tree);
  }
  const found: string[] = [];
  const collect = (value: unknown, depth = 0): void => {
    if (typeof value === 'string') {
      if (value !== '') found.push(value);
    } else if (value !== null && typeof value === 'object' && depth < MAX_DEPTH) {
      for (const item of Object.values(value)) collect(item, depth + 1);
    }
  };
  if (tree.size > 0) eachSecret(config, tree, (value) => collect(value));
  return found;
}

/**
 * The parts of a credential header's value worth redacting on their own:
 * the value, the credentials after an `Authorization` scheme (and the
 * password of `Basic`), the value of each cookie.
 */
export function credentialPieces(name: string, value: string): string[] {
  const pieces = [value];
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const space = value.indexOf(' ');
    if (space > 0) {
      const credentials = value.slice(space + 1).trim();
      pieces.push(credentials);
      if (value.slice(0, space).toLowerCase() === 'basic') {
        const decoded = Buffer.from(credentials, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        pieces.push(decoded);
        if (colon >= 0) pieces.push(decoded.slice(colon + 1));
      }
    }
  } else if (lower === 'cookie' || lower === 'set-cookie') {
    for (const pair of value.split(';')) {
      const equals = pair.indexOf('=');
      if (equals >= 0) pieces.push(pair.slice(equals + 1).trim());
    }
  }
  return pieces.filter((piece) => piece !== '');
}

/**
 * `text` with every secret replaced by {@link REDACTED}: anywhere for a
 * secret of 6 characters or more, as a whole word for a shorter one (a short
 * one could be part of any word).
 */
export function redactText(text: string, secrets: Iterable<string>): string {
  const ordered = [...new Set(secrets)].filter((secret) => secret !== '' && secret !== REDACTED).sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of ordered) {
    if (secret.length >= MIN_CONTAINED_SECRET) out = out.split(secret).join(REDACTED);
    else out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(secret)}(?![\\p{L}\\p{N}_])`, 'gu'), REDACTED);
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
