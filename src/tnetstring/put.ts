// Unchecked writers for encoders that size their output up front (see sizes.ts): each
// writes at `pos` and returns the offset after what it wrote. The caller guarantees room.
import { digitCount, putDigits } from "./_digits.ts";
import { TYPE_INT, TYPE_STRING } from "./frame.ts";

const utf8 = new TextEncoder();

/**
 * Writes the length prefix `<dataLength>:` of a frame (e.g. of a container whose data
 * follows; finish it with its type byte).
 *
 * @example
 * ```ts
 * import { putPrefix, TYPE_LIST } from "./mod.ts";
 * const buf = new Uint8Array(3);
 * buf[putPrefix(buf, 0, 0)] = TYPE_LIST; // "0:]"
 * ```
 */
export function putPrefix(
  buf: Uint8Array,
  pos: number,
  dataLength: number,
): number {
  pos = putDigits(buf, pos, dataLength, digitCount(dataLength));
  buf[pos] = 0x3a;
  return pos + 1;
}

/**
 * Copies pre-encoded bytes (e.g. a constant `4:type,6:cancel,`).
 *
 * @example
 * ```ts
 * import { putRaw } from "./mod.ts";
 * const buf = new Uint8Array(2);
 * putRaw(buf, 0, new Uint8Array([0x30, 0x3a]));
 * ```
 */
export function putRaw(
  buf: Uint8Array,
  pos: number,
  bytes: Uint8Array,
): number {
  const n = bytes.length;
  if (n < 24) {
    for (let i = 0; i < n; i++) buf[pos + i] = bytes[i]!;
  } else buf.set(bytes, pos);
  return pos + n;
}

/**
 * Writes a byte string frame (`<n>:<bytes>,`).
 *
 * @example
 * ```ts
 * import { putBytes } from "./mod.ts";
 * const buf = new Uint8Array(5);
 * putBytes(buf, 0, new Uint8Array([104, 105])); // "2:hi,"
 * ```
 */
export function putBytes(
  buf: Uint8Array,
  pos: number,
  bytes: Uint8Array,
): number {
  pos = putRaw(buf, putPrefix(buf, pos, bytes.length), bytes);
  buf[pos] = TYPE_STRING;
  return pos + 1;
}

/**
 * Writes a text as a UTF-8 byte string frame; `byteLength` must be
 * {@linkcode utf8ByteLength}`(s)`.
 *
 * @example
 * ```ts
 * import { putString, utf8ByteLength } from "./mod.ts";
 * const buf = new Uint8Array(6);
 * putString(buf, 0, "GET", utf8ByteLength("GET")); // "3:GET,"
 * ```
 */
export function putString(
  buf: Uint8Array,
  pos: number,
  s: string,
  byteLength: number,
): number {
  pos = putPrefix(buf, pos, byteLength);
  if (byteLength === s.length) {
    for (let i = 0; i < byteLength; i++) buf[pos + i] = s.charCodeAt(i);
  } else utf8.encodeInto(s, buf.subarray(pos, pos + byteLength));
  buf[pos + byteLength] = TYPE_STRING;
  return pos + byteLength + 1;
}

/**
 * Writes a safe integer frame (`<n>:<digits>#`).
 *
 * @example
 * ```ts
 * import { putInt } from "./mod.ts";
 * const buf = new Uint8Array(6);
 * putInt(buf, 0, -42); // "3:-42#"
 * ```
 */
export function putInt(buf: Uint8Array, pos: number, n: number): number {
  const neg = n < 0;
  const abs = neg ? -n : n;
  const d = digitCount(abs);
  pos = putPrefix(buf, pos, neg ? d + 1 : d);
  if (neg) buf[pos++] = 0x2d;
  pos = putDigits(buf, pos, abs, d);
  buf[pos] = TYPE_INT;
  return pos + 1;
}
