// The slice of the protobuf wire format that TensorBoard's event protos use: varints (int32, int64,
// enums, bools), fixed64 doubles, fixed32 floats, and length-delimited strings, bytes, sub-messages
// and packed doubles. Hand-written so event export needs no protobuf runtime or .proto codegen.

const enum Wire { Varint = 0, Fixed64 = 1, Len = 2, Fixed32 = 5 }

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Builds one message. Fields holding their proto3 default are written only when asked, as proto3 leaves them out. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: bigint): void {
    // negative int64s are their 64-bit two's complement: ten bytes on the wire
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: Wire): void {
    this.varint(BigInt((field << 3) | wire));
  }

  /** int32, int64, enum or bool; `value` must be an integer (a number up to 2^53, or a bigint). */
  int(field: number, value: number | bigint | boolean): this {
    const v = typeof value === 'boolean' ? BigInt(value ? 1 : 0) : BigInt(value);
    this.key(field, Wire.Varint);
    this.varint(v);
    return this;
  }

  double(field: number, value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.key(field, Wire.Fixed64);
    this.push(b);
    return this;
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.key(field, Wire.Fixed32);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, Wire.Len);
    this.varint(BigInt(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  message(field: number, value: ProtoWriter | Uint8Array): this {
    return this.bytes(field, value instanceof ProtoWriter ? value.finish() : value);
  }

  /** A packed repeated double; an empty list is left out, as proto3 does. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const b = new Uint8Array(values.length * 8);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat64(i * 8, values[i], true);
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** One decoded field: varints as bigint (int64 needs all 64 bits), fixed widths as raw bytes, length-delimited as a view. */
export type ProtoField =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1 | 5 | 2; value: Uint8Array };

/** Splits a message into its fields, in wire order; throws on malformed input rather than guessing. */
export function decodeFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= buf.length) throw new Error(`protobuf: varint runs past the end of the message at byte ${at}`);
      if (shift > 63n) throw new Error(`protobuf: varint longer than 10 bytes at byte ${at}`);
      const b = buf[at++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, v);
    }
  };
  const take = (n: number): Uint8Array => {
    if (at + n > buf.length) throw new Error(`protobuf: field of ${n} bytes runs past the end of the message at byte ${at}`);
    const v = buf.subarray(at, at + n);
    at += n;
    return v;
  };
  while (at < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 0) throw new Error('protobuf: field number 0');
    if (wire === Wire.Varint) out.push({ field, wire, value: varint() });
    else if (wire === Wire.Fixed64) out.push({ field, wire, value: take(8) });
    else if (wire === Wire.Fixed32) out.push({ field, wire, value: take(4) });
    else if (wire === Wire.Len) out.push({ field, wire, value: take(Number(varint())) });
    else throw new Error(`protobuf: unsupported wire type ${wire} (field ${field})`);
  }
  return out;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Typed readers for a decoded field; each checks the wire type, so a schema mismatch fails loudly. */
export const read = {
  int64(f: ProtoField): number {
    if (f.wire !== 0) throw new Error(`protobuf: field ${f.field} is not a varint`);
    return Number(BigInt.asIntN(64, f.value));
  },
  double(f: ProtoField): number {
    if (f.wire !== 1) throw new Error(`protobuf: field ${f.field} is not a double`);
    return view(f.value).getFloat64(0, true);
  },
  float(f: ProtoField): number {
    if (f.wire !== 5) throw new Error(`protobuf: field ${f.field} is not a float`);
    return view(f.value).getFloat32(0, true);
  },
  bytes(f: ProtoField): Uint8Array {
    if (f.wire !== 2) throw new Error(`protobuf: field ${f.field} is not length-delimited`);
    return f.value;
  },
  string(f: ProtoField): string {
    return utf8Decoder.decode(read.bytes(f));
  },
  /** A repeated double, packed (one length-delimited run) or not (one fixed64 per element). */
  doubles(f: ProtoField): number[] {
    if (f.wire === 1) return [read.double(f)];
    const b = read.bytes(f);
    if (b.length % 8 !== 0) throw new Error(`protobuf: packed doubles of ${b.length} bytes (field ${f.field})`);
    const dv = view(b);
    return Array.from({ length: b.length / 8 }, (_, i) => dv.getFloat64(i * 8, true));
  },
};
