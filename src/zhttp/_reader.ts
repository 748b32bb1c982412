// Lazy frame-level reading with Condure's error texts (condure:src/tnetstring.rs and
// condure:src/zhttppacket.rs): only the frames a field handler asks for are looked inside.
import {
  FRAME_EOF,
  parseIntData,
  scanFrame,
  type TnetFrame,
  TYPE_BOOL,
  TYPE_FLOAT,
  TYPE_INT,
  TYPE_LIST,
  TYPE_MAP,
  TYPE_NULL,
  TYPE_STRING,
} from "../tnetstring/mod.ts";
import { ZhttpParseError } from "./error.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Scratch frame for the current value (the parser is synchronous and not re-entrant). */
export const val: TnetFrame = { type: 0, start: 0, end: 0 };
const key: TnetFrame = { type: 0, start: 0, end: 0 };

export function fail(message: string): never {
  throw new ZhttpParseError(message);
}

export function typeName(type: number): string {
  switch (type) {
    case TYPE_STRING:
      return "string";
    case TYPE_INT:
      return "int";
    case TYPE_FLOAT:
      return "float";
    case TYPE_BOOL:
      return "bool";
    case TYPE_NULL:
      return "null";
    case TYPE_LIST:
      return "array";
    default:
      return "map";
  }
}

/** Scans one frame into `out`; returns the offset after it. */
export function frame(
  buf: Uint8Array,
  pos: number,
  limit: number,
  out: TnetFrame,
): number {
  const next = scanFrame(buf, pos, limit, out);
  if (next < 0) fail(next === FRAME_EOF ? "unexpected eof" : "invalid data");
  return next;
}

/** The root map of `T<map>`: fills `val`, or throws Condure's errors. */
export function root(payload: Uint8Array): void {
  if (payload.length === 0 || payload[0] !== 0x54) {
    fail("unrecognized data format");
  }
  frame(payload, 1, payload.length, val);
  if (val.type !== TYPE_MAP) fail(`root must be of type map`);
}

/**
 * Reads the map entry at `pos` (< limit): checks the key is a UTF-8 string, leaves the
 * key bounds in `keyStart`/`keyEnd` and the value in `val`; returns the next offset.
 */
export let keyStart = 0;
export let keyEnd = 0;
export function entry(buf: Uint8Array, pos: number, limit: number): number {
  pos = frame(buf, pos, limit, key);
  if (key.type !== TYPE_STRING || !isUtf8(buf, key.start, key.end)) {
    fail("map key must be a utf-8 string");
  }
  keyStart = key.start;
  keyEnd = key.end;
  return frame(buf, pos, limit, val);
}

/** Whether the current key equals `name` (ASCII). */
export function keyIs(buf: Uint8Array, name: string): boolean {
  if (keyEnd - keyStart !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    if (buf[keyStart + i] !== name.charCodeAt(i)) return false;
  }
  return true;
}

export function isUtf8(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      try {
        utf8.decode(buf.subarray(i, end));
        return true;
      } catch {
        return false;
      }
    }
  }
  return true;
}

/** `val` as bytes, else `<field> must be of type string`. */
export function str(buf: Uint8Array, field: string): Uint8Array {
  if (val.type !== TYPE_STRING) fail(`${field} must be of type string`);
  return buf.subarray(val.start, val.end);
}

/** `val` as UTF-8 text, else Condure's type / `<field> must be a utf-8 string` errors. */
export function text(
  buf: Uint8Array,
  field: string,
  utf8Field = field,
): string {
  if (val.type !== TYPE_STRING) fail(`${field} must be of type string`);
  const { start, end } = val;
  const n = end - start;
  if (n <= 32) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return n === 0 ? "" : String.fromCharCode.apply(
        null,
        buf.subarray(start, end) as unknown as number[],
      );
    }
  }
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    return fail(`${utf8Field} must be a utf-8 string`);
  }
}

/** `val` as a bool, else `<field> must be of type bool` / `invalid data`. */
export function bool(buf: Uint8Array, field: string): boolean {
  if (val.type !== TYPE_BOOL) fail(`${field} must be of type bool`);
  const { start, end } = val;
  if (
    end - start === 4 && buf[start] === 0x74 && buf[start + 1] === 0x72 &&
    buf[start + 2] === 0x75 && buf[start + 3] === 0x65
  ) return true;
  if (
    end - start === 5 && buf[start] === 0x66 && buf[start + 1] === 0x61 &&
    buf[start + 2] === 0x6c && buf[start + 3] === 0x73 &&
    buf[start + 4] === 0x65
  ) return false;
  return fail("invalid data");
}

/**
 * `val` as a non-negative int cast to `bits` bits like Rust's `x as u32`/`as u16`,
 * else `<field> must be of type int` / `invalid data` / `<field> must not be negative`.
 */
export function uint(buf: Uint8Array, field: string, bits: 16 | 32): number {
  if (val.type !== TYPE_INT) fail(`${field} must be of type int`);
  const x = parseIntData(buf, val.start, val.end);
  if (x === null) fail("invalid data");
  if (x < 0) fail(`${field} must not be negative`);
  if (typeof x === "bigint") return Number(BigInt.asUintN(bits, x));
  return bits === 32 ? x >>> 0 : x & 0xffff;
}
