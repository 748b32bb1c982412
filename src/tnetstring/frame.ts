/** Type byte of a byte string (`,`). */
export const TYPE_STRING = 0x2c;
/** Type byte of an integer (`#`). */
export const TYPE_INT = 0x23;
/** Type byte of a float (`^`). */
export const TYPE_FLOAT = 0x5e;
/** Type byte of a boolean (`!`). */
export const TYPE_BOOL = 0x21;
/** Type byte of null (`~`). */
export const TYPE_NULL = 0x7e;
/** Type byte of a list (`]`). */
export const TYPE_LIST = 0x5d;
/** Type byte of a dict (`}`). */
export const TYPE_MAP = 0x7d;

/** {@linkcode scanFrame} result: the frame runs past the end of the data ("unexpected eof"). */
export const FRAME_EOF = -1;
/** {@linkcode scanFrame} result: bad length digits or unknown type byte ("invalid data"). */
export const FRAME_INVALID = -2;

/**
 * Where {@linkcode scanFrame} found a frame: filled in place so that scanning allocates nothing.
 *
 * @example
 * ```ts
 * import { scanFrame, type TnetFrame } from "./mod.ts";
 * const frame: TnetFrame = { type: 0, start: 0, end: 0 };
 * scanFrame(new TextEncoder().encode("2:hi,"), 0, 5, frame);
 * ```
 */
export interface TnetFrame {
  /** The type byte (one of the `TYPE_*` constants). */
  type: number;
  /** Offset of the first data byte. */
  start: number;
  /** Offset just past the last data byte (the type byte is at `end`). */
  end: number;
}

// 18446744073709551615 = u64::MAX: Condure parses lengths as usize; longer is "invalid data".
const U64_MAX_DIGITS = "18446744073709551615";

/**
 * Finds the frame that starts at `offset` without looking inside its data, exactly as
 * Condure's `tnetstring::parse_frame` does: the length is a run of ASCII digits ending
 * at `:` (any other byte first → invalid; no `:` → eof), it must fit in a u64 (else
 * invalid), the data and type byte must fit before `limit` (else eof), and the type
 * byte must be one of `,#^!~]}` (else invalid).
 *
 * @param buf The bytes to scan.
 * @param offset Where the frame starts.
 * @param limit Where the enclosing data ends (exclusive); `buf.length` for a root frame.
 * @param out Filled with the frame's type and data bounds on success.
 * @returns The offset just past the frame's type byte, or {@linkcode FRAME_EOF} /
 * {@linkcode FRAME_INVALID}.
 *
 * @example
 * ```ts
 * import { scanFrame, TYPE_STRING } from "./mod.ts";
 * const frame = { type: 0, start: 0, end: 0 };
 * const next = scanFrame(new TextEncoder().encode("5:hello,"), 0, 8, frame);
 * if (next !== 8 || frame.type !== TYPE_STRING || frame.start !== 2) throw new Error();
 * ```
 */
export function scanFrame(
  buf: Uint8Array,
  offset: number,
  limit: number,
  out: TnetFrame,
): number {
  let i = offset;
  let size = 0;
  let huge = false;
  for (;;) {
    if (i >= limit) return FRAME_EOF;
    const c = buf[i]!;
    if (c === 0x3a) break;
    if (c < 0x30 || c > 0x39) return FRAME_INVALID;
    if (!huge) {
      size = size * 10 + (c - 0x30);
      if (size > 1e15) huge = true;
    }
    i++;
  }
  if (i === offset) return FRAME_INVALID; // empty length
  if (huge && exceedsU64(buf, offset, i)) return FRAME_INVALID;
  const start = i + 1;
  // "size_end + size + 2 > src.len()": data, then the type byte.
  if (huge || size + 1 > limit - start) return FRAME_EOF;
  const end = start + size;
  const type = buf[end]!;
  switch (type) {
    case TYPE_STRING:
    case TYPE_INT:
    case TYPE_FLOAT:
    case TYPE_BOOL:
    case TYPE_NULL:
    case TYPE_LIST:
    case TYPE_MAP:
      break;
    default:
      return FRAME_INVALID;
  }
  out.type = type;
  out.start = start;
  out.end = end;
  return end + 1;
}

function exceedsU64(buf: Uint8Array, from: number, to: number): boolean {
  while (from < to && buf[from] === 0x30) from++; // leading zeros are allowed
  const n = to - from;
  if (n !== U64_MAX_DIGITS.length) return n > U64_MAX_DIGITS.length;
  for (let k = 0; k < n; k++) {
    const d = buf[from + k]! - U64_MAX_DIGITS.charCodeAt(k);
    if (d !== 0) return d > 0;
  }
  return false;
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * Parses the data of an integer frame as Rust's `i64::from_str` does (Condure's rule):
 * an optional `+` or `-`, then one or more ASCII digits, nothing else, within the
 * signed 64-bit range.
 *
 * @returns A `number` when the value is a safe integer, a `bigint` for the rest of the
 * i64 range, or `null` when the data is not a valid i64 ("invalid data").
 *
 * @example
 * ```ts
 * import { parseIntData } from "./mod.ts";
 * const data = new TextEncoder().encode("-42");
 * if (parseIntData(data, 0, 3) !== -42) throw new Error();
 * ```
 */
export function parseIntData(
  buf: Uint8Array,
  start: number,
  end: number,
): number | bigint | null {
  let i = start;
  let negative = false;
  if (i < end) {
    const c = buf[i]!;
    if (c === 0x2d) {
      negative = true;
      i++;
    } else if (c === 0x2b) i++;
  }
  if (i >= end) return null;
  let value = 0;
  const digitsStart = i;
  for (; i < end; i++) {
    const c = buf[i]! - 0x30;
    if (c < 0 || c > 9) return null;
    value = value * 10 + c;
  }
  if (value <= Number.MAX_SAFE_INTEGER) {
    return negative ? (value === 0 ? 0 : -value) : value;
  }
  let big = 0n;
  for (let k = digitsStart; k < end; k++) {
    big = big * 10n + BigInt(buf[k]! - 0x30);
    if (big > I64_MAX + 1n) return null;
  }
  if (negative) big = -big;
  return big < I64_MIN || big > I64_MAX ? null : big;
}
