/**
 * Kong's RPC envelope ("MsgPack:1") and the MessagePack facts the server
 * reads and writes by hand, in one place: the format markers, the layout of
 * requests, responses and notifications, the msgid in raw bytes, and the
 * names of the RPC methods.
 *
 * Every message is one MessagePack array:
 *
 * | message      | layout                       | sent by                                          |
 * |--------------|------------------------------|--------------------------------------------------|
 * | request      | `[0, msgid, method, params]` | Kong; `params` is `[arg]`                        |
 * | response     | `[1, msgid, error, result]`  | the server; `error` is nil or a string           |
 * | notification | `[2, label, arg]`            | the server, only `serverPid`, before a response  |
 *
 * Kong numbers its requests per nginx worker and encodes each msgid as the
 * smallest unsigned integer that holds it, so a request starts with the
 * bytes `94 00` and then its msgid: one byte up to 127, else `cc`, `cd`,
 * `ce` or `cf` and 1, 2, 4 or 8 bytes, big-endian.
 *
 * **Hot paths copy what they use into module-local constants.** In
 * optimized code, V8 compiles a module-local `const` number, or a property
 * of a frozen object held in a module-local `const`, as the number itself;
 * an imported binding it reads from its module cell at every use. A
 * property read also lengthens the function's bytecode, and TurboFan
 * inlines no function over 460 bytes of it (`--max-inlined-bytecode-size`):
 * written as `Marker.nil`, the request reader's scalar reader grows past
 * that and stops being inlined. So the framer, the codec and the request
 * reader copy each value they use:
 *
 * ```ts
 * import * as envelope from './envelope.ts';
 * const { uint8: UINT8, uint16: UINT16 } = envelope.Marker;
 * ```
 *
 * and their optimized code is, but for a few instructions, the code hex
 * literals gave (`node --print-opt-code`, Node 20). The method lists are
 * plain arrays, not frozen ones: the reader indexes `EVENT_METHODS`, and
 * optimized code reads a frozen array through a generic call.
 *
 * @module
 */

/**
 * MessagePack format markers: the first byte of each value. The `fix…`
 * markers carry a count or a length in their low bits (`fixarray | n` is an
 * array of n ≤ 15 elements); the others are followed by a length or the
 * value, big-endian.
 */
export const Marker = Object.freeze({
  /** 0x00–0x7f: an integer 0–127, the byte itself. */
  positiveFixint: 0x00,
  /** 0x80–0x8f: a map of 0–15 entries. */
  fixmap: 0x80,
  /** 0x90–0x9f: an array of 0–15 elements. */
  fixarray: 0x90,
  /** 0xa0–0xbf: a str of 0–31 bytes. */
  fixstr: 0xa0,
  nil: 0xc0,
  /** Never used by MessagePack: a stream holding it is not MessagePack. */
  neverUsed: 0xc1,
  false: 0xc2,
  true: 0xc3,
  bin8: 0xc4,
  bin16: 0xc5,
  bin32: 0xc6,
  ext8: 0xc7,
  ext16: 0xc8,
  ext32: 0xc9,
  float32: 0xca,
  float64: 0xcb,
  uint8: 0xcc,
  uint16: 0xcd,
  uint32: 0xce,
  uint64: 0xcf,
  int8: 0xd0,
  int16: 0xd1,
  int32: 0xd2,
  int64: 0xd3,
  fixext1: 0xd4,
  fixext2: 0xd5,
  fixext4: 0xd6,
  fixext8: 0xd7,
  fixext16: 0xd8,
  str8: 0xd9,
  str16: 0xda,
  str32: 0xdb,
  array16: 0xdc,
  array32: 0xdd,
  map16: 0xde,
  map32: 0xdf,
  /** 0xe0–0xff: an integer -32 to -1, the byte less 256. */
  negativeFixint: 0xe0,
});

/** What the `fix…` markers hold at most: elements, entries, bytes. */
export const FixCapacity = Object.freeze({ array: 15, map: 15, str: 31 });

/** The first element of every message: what kind of message it is. */
export const MessageType = Object.freeze({ request: 0, response: 1, notification: 2 } as const);
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Elements of a request or a response. */
export const ENVELOPE_LENGTH = 4;

/** First byte of a request or a response: an array of four elements (0x94). */
export const ENVELOPE_HEAD = Marker.fixarray | ENVELOPE_LENGTH;

/** Where the msgid starts in a request or a response: after the array head and the type (a fixint). */
export const MSGID_AT = 2;

/** Labels of the notifications the server sends. */
export const Notification = Object.freeze({
  /** `[2, "serverPid", pid]`: a server that restarted has a new pid, and Kong drops the instances it knew. */
  serverPid: 'serverPid',
} as const);

/**
 * The RPC methods of a plugin server. Kong calls `StartInstance`,
 * `CloseInstance`, `HandleEvent` and the Step variants (every release from
 * 2.3 on); it never calls the last three, which the server answers for
 * operators and tests.
 */
export const Method = Object.freeze({
  startInstance: 'plugin.StartInstance',
  closeInstance: 'plugin.CloseInstance',
  handleEvent: 'plugin.HandleEvent',
  /** Resumes an event with the result of its PDK call. */
  step: 'plugin.Step',
  /** Resumes an event with the failure of its PDK call (Kong 2.x only). */
  stepError: 'plugin.StepError',
  /** A header or query multi-map result. */
  stepMultiMap: 'plugin.StepMultiMap',
  /** The result of `kong.client.get_credential` and `authenticate`. */
  stepCredential: 'plugin.StepCredential',
  /** The result of `kong.client.load_consumer` and `get_consumer`. */
  stepConsumer: 'plugin.StepConsumer',
  /** The result of `kong.router.get_route`. */
  stepRoute: 'plugin.StepRoute',
  /** The result of `kong.router.get_service`. */
  stepService: 'plugin.StepService',
  /** The result of `kong.node.get_memory_stats`. */
  stepMemoryStats: 'plugin.StepMemoryStats',
  instanceStatus: 'plugin.InstanceStatus',
  getStatus: 'plugin.GetStatus',
  getPluginInfo: 'plugin.GetPluginInfo',
} as const);
export type Method = (typeof Method)[keyof typeof Method];

/** Every Step variant, `plugin.Step` first. Kong picks the variant from the PDK method that was called. */
export const STEP_METHODS = [
  Method.step,
  Method.stepMultiMap,
  Method.stepError,
  Method.stepCredential,
  Method.stepConsumer,
  Method.stepRoute,
  Method.stepService,
  Method.stepMemoryStats,
] as const;

/** The methods of the event loop, which Kong sends for every event: the most frequent first. */
export const EVENT_METHODS = [Method.step, Method.handleEvent, ...STEP_METHODS.slice(1)] as const;

const STEPS: ReadonlySet<string> = new Set(STEP_METHODS);

/** Whether `method` is one of the Step variants. */
export function isStepMethod(method: string): boolean {
  return STEPS.has(method);
}

/** A decoded request `[0, msgid, method, params]`, its method and params not checked yet. */
export type DecodedRequest = [typeof MessageType.request, number, unknown, unknown];

/** Whether a decoded message has the shape of a request (four elements, type 0, a numeric msgid). */
export function isRequest(message: unknown): message is DecodedRequest {
  return Array.isArray(message) && message.length === ENVELOPE_LENGTH && message[0] === MessageType.request && typeof message[1] === 'number';
}

/**
 * Where the msgid of a message `[type, msgid, …]` ends in its bytes: the
 * offset of the byte after it. -1 when `bytes` does not start with the
 * head of a `type` message followed by a whole unsigned integer (another
 * type, not an array of four, a negative or non-integer msgid, or too few
 * bytes). The head must be the fixarray Kong and this server write; the
 * same array in array16 form, which no peer sends, is not recognised.
 */
export function msgidEnd(bytes: Uint8Array, type: MessageType): number {
  if (bytes[0] !== ENVELOPE_HEAD || bytes[1] !== type) return -1;
  const marker = bytes[MSGID_AT];
  if (marker === undefined) return -1;
  let width: number;
  if (marker < Marker.fixmap) width = 0;
  else if (marker === Marker.uint8) width = 1;
  else if (marker === Marker.uint16) width = 2;
  else if (marker === Marker.uint32) width = 4;
  else if (marker === Marker.uint64) width = 8;
  else return -1;
  const end = MSGID_AT + 1 + width;
  return end <= bytes.length ? end : -1;
}

/**
 * The msgid of a message `[type, msgid, …]`, read from its first bytes
 * without decoding the rest. A uint64 above 2^53 comes out rounded, as the
 * general decoder rounds it. `undefined` when {@link msgidEnd} is -1.
 */
export function peekMsgid(bytes: Uint8Array, type: MessageType): number | undefined {
  const end = msgidEnd(bytes, type);
  if (end < 0) return undefined;
  const at = MSGID_AT + 1;
  const width = end - at;
  if (width === 0) return bytes[MSGID_AT];
  // Two halves, as the general decoder reads a uint64 (the same rounding).
  if (width === 8) return readUint(bytes, at, 4) * 0x100000000 + readUint(bytes, at + 4, 4);
  return readUint(bytes, at, width);
}

/** The big-endian unsigned integer of `width` ≤ 4 bytes at `at`. */
function readUint(bytes: Uint8Array, at: number, width: number): number {
  let n = 0;
  for (let i = at; i < at + width; i++) n = n * 0x100 + (bytes[i] as number);
  return n;
}

/**
 * The msgid of a message `[type, msgid, …]` as it is encoded (a copy), to
 * be written back unchanged with {@link withMsgid}; `undefined` when
 * {@link msgidEnd} is -1.
 */
export function encodedMsgid(bytes: Uint8Array, type: MessageType): Uint8Array | undefined {
  const end = msgidEnd(bytes, type);
  return end < 0 ? undefined : bytes.slice(MSGID_AT, end);
}

/** `msgid` encoded as a uint32 whatever its value (five bytes): how the server numbers requests of its own. */
export function encodeMsgid(msgid: number): Uint8Array {
  if (!Number.isInteger(msgid) || msgid < 0 || msgid > 0xffffffff) throw new RangeError(`a msgid of the server's own is a uint32, got ${msgid}`);
  const out = new Uint8Array(5);
  out[0] = Marker.uint32;
  out[1] = msgid >>> 24;
  out[2] = (msgid >>> 16) & 0xff;
  out[3] = (msgid >>> 8) & 0xff;
  out[4] = msgid & 0xff;
  return out;
}

/**
 * A copy of the message `bytes` (`[type, msgid, …]`) with its msgid
 * replaced by `msgid`, an encoded unsigned integer ({@link encodeMsgid},
 * {@link encodedMsgid}); the rest is copied byte for byte.
 * @throws {@link RangeError} when `bytes` has no msgid to replace ({@link msgidEnd} is -1).
 */
export function withMsgid(bytes: Uint8Array, type: MessageType, msgid: Uint8Array): Uint8Array {
  const end = msgidEnd(bytes, type);
  if (end < 0) throw new RangeError(`not a message [${type}, msgid, …] with an unsigned msgid`);
  const rest = bytes.subarray(end);
  const out = new Uint8Array(MSGID_AT + msgid.length + rest.length);
  out[0] = ENVELOPE_HEAD;
  out[1] = type;
  out.set(msgid, MSGID_AT);
  out.set(rest, MSGID_AT + msgid.length);
  return out;
}
