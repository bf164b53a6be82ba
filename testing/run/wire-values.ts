/**
 * Values as they come out of MsgPack on either side: what Kong receives
 * from the plugin's arguments, and what the plugin receives from Kong's
 * results, so the in-process runner gives plugins exactly what the wire
 * would (an empty Lua table as `[]`, bytes as `Uint8Array`, no `undefined`
 * in maps, arguments cut at the first nil as Lua's `unpack` does).
 *
 * @module
 */
import { Decoder } from '@msgpack/msgpack';
import { MessageDecoder, MessageEncoder } from '../../server/wire/codec.ts';
import { luaPack } from '../host/lua-msgpack.ts';

const encoder = new MessageEncoder();
const luaDecoder = new Decoder();
const serverDecoder = new MessageDecoder();

/**
 * The arguments as Kong's host gets them: encoded as the server encodes
 * them, decoded, and cut at the first nil.
 * @throws {@link Error} when a value cannot be encoded.
 */
export function argsAsKongSeesThem(args: readonly unknown[]): unknown[] {
  const decoded = luaDecoder.decode(encoder.encode(args)) as unknown[];
  const out: unknown[] = [];
  for (const arg of decoded) {
    if (arg === null || arg === undefined) break;
    out.push(arg);
  }
  return out;
}

/** A result as the plugin gets it: packed as Kong's host packs it, decoded as the server decodes it. */
export function resultAsPluginSeesIt(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const decoded = serverDecoder.decode(luaPack(value), true);
  return decoded === null ? undefined : decoded;
}
