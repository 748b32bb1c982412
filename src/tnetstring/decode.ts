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
} from "./frame.ts";
import type { TnetMap, TnetValue } from "./types.ts";

/** Containers nested deeper than this are rejected (protects the stack). */
export const DEPTH_MAX = 64;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Decodes the tnetstring that starts at `offset` (bytes after it are not looked at).
 *
 * Byte strings are returned as `subarray` views of `buf` (no copies). Dict keys must be
 * UTF-8 byte strings; with a duplicate key the last value wins. Integers must be safe
 * JavaScript integers (the format allows 64 bits: larger values are rejected rather
 * than rounded). Containers may nest at most {@linkcode DEPTH_MAX} deep.
 *
 * @param buf The encoded bytes.
 * @param offset Where the value starts (default 0).
 * @returns The value and the offset just past it.
 * @throws {SyntaxError} On any malformed input, with the offset and the reason.
 *
 * @example
 * ```ts
 * import { decode } from "./mod.ts";
 * const { value, end } = decode(new TextEncoder().encode("10:3:foo,1:1#]"));
 * if (!Array.isArray(value) || value[1] !== 1 || end !== 14) throw new Error();
 * ```
 */
export function decode(
  buf: Uint8Array,
  offset = 0,
): { value: TnetValue; end: number } {
  if (!Number.isInteger(offset) || offset < 0 || offset > buf.length) {
    throw new RangeError(
      `Cannot decode tnetstring: offset ${offset} is outside the buffer`,
    );
  }
  const frame: TnetFrame = { type: 0, start: 0, end: 0 };
  const end = frameAt(buf, offset, buf.length, frame);
  return { value: valueOf(buf, frame, 0), end };
}

function fail(at: number, reason: string): never {
  throw new SyntaxError(`Cannot decode tnetstring at byte ${at}: ${reason}`);
}

function frameAt(
  buf: Uint8Array,
  offset: number,
  limit: number,
  out: TnetFrame,
): number {
  const next = scanFrame(buf, offset, limit, out);
  if (next >= 0) return next;
  fail(offset, describeScanError(buf, offset, limit, next === FRAME_EOF));
}

function describeScanError(
  buf: Uint8Array,
  offset: number,
  limit: number,
  eof: boolean,
): string {
  let colon = offset;
  while (colon < limit && buf[colon]! >= 0x30 && buf[colon]! <= 0x39) colon++;
  if (colon >= limit) {
    return colon === offset
      ? "unexpected end of data, expected a length"
      : "unexpected end of data, the length has no ':'";
  }
  if (buf[colon] !== 0x3a) {
    return `the length contains a non-digit byte 0x${hex(buf[colon]!)}`;
  }
  if (colon === offset) return "the length is empty";
  const digits = String.fromCharCode(...buf.subarray(offset, colon));
  if (!eof) {
    const typeAt = colon + 1 + Number(digits);
    if (Number.isSafeInteger(typeAt) && typeAt < limit) {
      return `unknown type byte 0x${hex(buf[typeAt]!)}`;
    }
    return `the length ${digits} is too large`;
  }
  return `declared length ${digits} runs past the end of the data (${
    limit - colon - 1
  } bytes left before the type byte)`;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}

function valueOf(buf: Uint8Array, frame: TnetFrame, depth: number): TnetValue {
  const { type, start, end } = frame;
  switch (type) {
    case TYPE_STRING:
      return buf.subarray(start, end);
    case TYPE_INT: {
      const v = parseIntData(buf, start, end);
      if (typeof v === "number") return v;
      const text = latin1(buf, start, end);
      if (v === null) fail(start, `invalid integer "${text}"`);
      return fail(
        start,
        `integer ${text} is outside the safe integer range of JavaScript`,
      );
    }
    case TYPE_FLOAT: {
      const text = latin1(buf, start, end);
      if (!FLOAT_RE.test(text)) fail(start, `invalid float "${text}"`);
      return Number(text);
    }
    case TYPE_BOOL:
      if (end - start === 4 && isWord(buf, start, "true")) {
        return true;
      }
      if (end - start === 5 && isWord(buf, start, "false")) return false;
      return fail(
        start,
        `invalid boolean "${latin1(buf, start, end)}" (must be true or false)`,
      );
    case TYPE_NULL:
      if (end !== start) fail(start, "null must have empty data");
      return null;
    case TYPE_LIST:
      return listOf(buf, start, end, depth + 1);
    case TYPE_MAP:
      return mapOf(buf, start, end, depth + 1);
    default: // unreachable: scanFrame accepts no other type byte
      return fail(start - 1, `unknown type byte 0x${hex(type)}`);
  }
}

function checkDepth(at: number, depth: number): void {
  if (depth > DEPTH_MAX) {
    fail(at, `containers are nested deeper than ${DEPTH_MAX} levels`);
  }
}

function listOf(
  buf: Uint8Array,
  start: number,
  end: number,
  depth: number,
): TnetValue[] {
  checkDepth(start, depth);
  const out: TnetValue[] = [];
  const frame: TnetFrame = { type: 0, start: 0, end: 0 };
  let pos = start;
  while (pos < end) {
    pos = frameAt(buf, pos, end, frame);
    out.push(valueOf(buf, frame, depth));
  }
  return out;
}

function mapOf(
  buf: Uint8Array,
  start: number,
  end: number,
  depth: number,
): TnetMap {
  checkDepth(start, depth);
  const out: TnetMap = new Map();
  const frame: TnetFrame = { type: 0, start: 0, end: 0 };
  let pos = start;
  while (pos < end) {
    const keyAt = pos;
    pos = frameAt(buf, pos, end, frame);
    if (frame.type !== TYPE_STRING) {
      fail(keyAt, "map key must be a utf-8 string (it is not a byte string)");
    }
    let key: string;
    try {
      key = utf8.decode(buf.subarray(frame.start, frame.end));
    } catch {
      return fail(keyAt, "map key must be a utf-8 string");
    }
    if (pos >= end) fail(pos, `map key "${key}" has no value`);
    pos = frameAt(buf, pos, end, frame);
    out.set(key, valueOf(buf, frame, depth));
  }
  return out;
}

function isWord(buf: Uint8Array, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    if (buf[at + i] !== word.charCodeAt(i)) return false;
  }
  return true;
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  const n = Math.min(end - start, 40);
  let s = String.fromCharCode(...buf.subarray(start, start + n));
  if (n < end - start) s += "…";
  return s;
}
