/**
 * HTTP details the fake Kong needs to answer like Kong: query and form
 * parsing (`ngx.decode_args`), their encoding, and JSON, form and multipart
 * bodies the way `kong.request.get_body` decodes them.
 *
 * @module
 */

/** A Lua table of arguments: a value, `true` for a flag, or a list of those for a repeated name. */
type LuaArgs = Record<string, string | true | (string | true)[]>;

/** Percent-decoding as nginx does for arguments: `+` is a space, bad escapes stay as they are. */
function unescapeArg(text: string): string {
  const spaced = text.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/**
 * Parses `a=1&a=2&flag&empty=` as `ngx.decode_args` does: a repeated name
 * collects its values in order, a name without `=` is `true`, `name=` is
 * `""`, an empty name is skipped, at most `maxArgs` arguments are read.
 */
export function parseArgs(query: string, maxArgs = 100): LuaArgs {
  const out: LuaArgs = Object.create(null) as LuaArgs;
  let count = 0;
  for (const part of query.split('&')) {
    if (part === '') continue;
    if (maxArgs > 0 && count >= maxArgs) break;
    count++;
    const eq = part.indexOf('=');
    const name = unescapeArg(eq === -1 ? part : part.slice(0, eq));
    if (name === '') continue;
    const value: string | true = eq === -1 ? true : unescapeArg(part.slice(eq + 1));
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[name] = [existing, value];
  }
  return out;
}

function escapeArg(text: string): string {
  return encodeURIComponent(text);
}

/**
 * Encodes arguments as Kong's `encode_args` does: names sorted, `true` as a
 * bare name, `false` left out, arrays repeat the name.
 */
export function encodeArgs(args: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const name of Object.keys(args).sort()) {
    const value = args[name];
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const item of values) {
      if (item === true) parts.push(escapeArg(name));
      else if (item === false || item === undefined || item === null) continue;
      else parts.push(`${escapeArg(name)}=${escapeArg(typeof item === 'string' ? item : JSON.stringify(item))}`);
    }
  }
  return parts.join('&');
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder();

/**
 * Splits a `multipart/form-data` body into its fields (a repeated name
 * collects its values in an array, as Kong's `get_all_with_arrays`), or
 * `undefined` when the content type has no boundary.
 */
export function parseMultipart(body: Uint8Array, contentType: string): Record<string, string | string[]> | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) return undefined;
  const text = latin1.decode(body);
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const part of text.split(`--${boundary}`)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) continue;
    const head = part.slice(0, headerEnd);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined) continue;
    let value = part.slice(headerEnd + 4);
    if (value.endsWith('\r\n')) value = value.slice(0, -2);
    const decoded = utf8.decode(Uint8Array.from(value, (c) => c.charCodeAt(0)));
    const existing = out[name];
    out[name] = existing === undefined ? decoded : Array.isArray(existing) ? [...existing, decoded] : [existing, decoded];
  }
  return out;
}

/** Builds a `multipart/form-data` body from fields, with a fixed boundary. */
export function buildMultipart(fields: Readonly<Record<string, unknown>>, boundary: string): string {
  let out = '';
  for (const name of Object.keys(fields).sort()) {
    out += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${String(fields[name])}\r\n`;
  }
  return `${out}--${boundary}--\r\n`;
}
