/**
 * A protobuf wire decoder for the test's OTLP receiver: just enough of
 * `ExportTraceServiceRequest` (opentelemetry-proto, collector/trace/v1) to
 * check what `http/protobuf` exporters send: resource spans > resource
 * attributes and scope spans > spans with their ids, name, kind, times,
 * attributes (string, bool, int, double values) and status code. Fields it
 * does not need are skipped by wire type, as protobuf readers do; a body
 * that is not well-formed protobuf throws.
 *
 * Field numbers, from trace/v1/trace.proto, common/v1/common.proto and
 * resource/v1/resource.proto:
 * - ExportTraceServiceRequest: 1 resource_spans
 * - ResourceSpans: 1 resource, 2 scope_spans; Resource: 1 attributes
 * - ScopeSpans: 2 spans
 * - Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind,
 *   7 start_time_unix_nano (fixed64), 8 end_time_unix_nano (fixed64),
 *   9 attributes, 15 status; Status: 3 code
 * - KeyValue: 1 key, 2 value; AnyValue: 1 string, 2 bool, 3 int (int64),
 *   4 double
 */

/** The wire types of the protobuf encoding that OTLP uses. */
const Wire = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
type Wire = (typeof Wire)[keyof typeof Wire];

/** One field as read from the wire: a varint or fixed value as a bigint, or the bytes of a length-delimited field. */
interface Field {
  readonly number: number;
  readonly wire: Wire;
  readonly int: bigint;
  readonly bytes: Uint8Array;
}

const NO_BYTES = new Uint8Array(0);

/** The fields of one message, in order. */
function* fields(buffer: Uint8Array): Generator<Field> {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let offset = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (offset >= buffer.length) throw new RangeError('protobuf: varint runs past the end');
      const byte = buffer[offset++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new RangeError('protobuf: varint longer than 10 bytes');
  };
  const take = (length: number): number => {
    if (offset + length > buffer.length) throw new RangeError('protobuf: field runs past the end');
    const start = offset;
    offset += length;
    return start;
  };
  while (offset < buffer.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (number === 0) throw new RangeError('protobuf: field number 0');
    switch (wire) {
      case Wire.varint:
        yield { number, wire: Wire.varint, int: varint(), bytes: NO_BYTES };
        break;
      case Wire.fixed64:
        yield { number, wire: Wire.fixed64, int: view.getBigUint64(take(8), true), bytes: NO_BYTES };
        break;
      case Wire.fixed32:
        yield { number, wire: Wire.fixed32, int: BigInt(view.getUint32(take(4), true)), bytes: NO_BYTES };
        break;
      case Wire.bytes: {
        const length = Number(varint());
        const start = take(length);
        yield { number, wire: Wire.bytes, int: 0n, bytes: buffer.subarray(start, start + length) };
        break;
      }
      default:
        throw new RangeError(`protobuf: wire type ${wire} (field ${number}) is not used by OTLP`);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The double whose little-endian bits are `bits`. */
function float64(bits: bigint): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits, true);
  return view.getFloat64(0, true);
}

/** The value of an `AnyValue`: string, boolean, number (int64 as a number) or undefined for kinds not decoded. */
function anyValue(buffer: Uint8Array): unknown {
  let value: unknown;
  for (const field of fields(buffer)) {
    if (field.number === 1 && field.wire === Wire.bytes) value = utf8.decode(field.bytes);
    else if (field.number === 2 && field.wire === Wire.varint) value = field.int !== 0n;
    else if (field.number === 3 && field.wire === Wire.varint) value = Number(BigInt.asIntN(64, field.int));
    else if (field.number === 4 && field.wire === Wire.fixed64) value = float64(field.int);
  }
  return value;
}

/** Adds one `KeyValue` to `into`. */
function keyValue(buffer: Uint8Array, into: Record<string, unknown>): void {
  let key = '';
  let value: unknown;
  for (const field of fields(buffer)) {
    if (field.number === 1 && field.wire === Wire.bytes) key = utf8.decode(field.bytes);
    else if (field.number === 2 && field.wire === Wire.bytes) value = anyValue(field.bytes);
  }
  into[key] = value;
}

/** A span of an export, as the receiver keeps it. */
export interface DecodedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Record<string, unknown>;
  readonly status: number;
  readonly resource: Record<string, unknown>;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function span(buffer: Uint8Array, resource: Record<string, unknown>): DecodedSpan {
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let name = '';
  let kind = 0;
  let startNs = 0n;
  let endNs = 0n;
  let status = 0;
  const attributes: Record<string, unknown> = {};
  for (const field of fields(buffer)) {
    if (field.wire === Wire.bytes) {
      if (field.number === 1) traceId = hex(field.bytes);
      else if (field.number === 2) spanId = hex(field.bytes);
      else if (field.number === 4) parentSpanId = hex(field.bytes);
      else if (field.number === 5) name = utf8.decode(field.bytes);
      else if (field.number === 9) keyValue(field.bytes, attributes);
      else if (field.number === 15) for (const part of fields(field.bytes)) if (part.number === 3 && part.wire === Wire.varint) status = Number(part.int);
    } else if (field.number === 6 && field.wire === Wire.varint) kind = Number(field.int);
    else if (field.number === 7 && field.wire === Wire.fixed64) startNs = field.int;
    else if (field.number === 8 && field.wire === Wire.fixed64) endNs = field.int;
  }
  return { traceId, spanId, parentSpanId, name, kind, startNs, endNs, attributes, status, resource };
}

/** The spans of one `ResourceSpans`. */
function resourceSpans(buffer: Uint8Array): DecodedSpan[] {
  const resource: Record<string, unknown> = {};
  const scopes: Uint8Array[] = [];
  for (const field of fields(buffer)) {
    if (field.wire !== Wire.bytes) continue;
    if (field.number === 1) for (const part of fields(field.bytes)) if (part.number === 1 && part.wire === Wire.bytes) keyValue(part.bytes, resource);
    if (field.number === 2) scopes.push(field.bytes);
  }
  // The resource may follow its scope spans on the wire: read the spans once it is known.
  const spans: DecodedSpan[] = [];
  for (const scope of scopes) for (const field of fields(scope)) if (field.number === 2 && field.wire === Wire.bytes) spans.push(span(field.bytes, resource));
  return spans;
}

/**
 * The spans of an `ExportTraceServiceRequest` in its protobuf encoding.
 * @throws {@link RangeError} or {@link TypeError} when the body is not well-formed.
 */
export function decodeTraceRequest(body: Uint8Array): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  for (const field of fields(body)) if (field.number === 1 && field.wire === Wire.bytes) spans.push(...resourceSpans(field.bytes));
  return spans;
}
