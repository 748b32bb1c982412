/**
 * Unsigned integer parsing with the exact acceptance rules and error texts of Rust's
 * `str::parse::<uN>()` / `uN::from_str_radix`, which Condure's messages embed
 * (`failed to parse workers: invalid digit found in string`).
 *
 * @module
 */

/** Rust's `IntErrorKind::Empty` text. */
export const EMPTY = "cannot parse integer from empty string";
/** Rust's `IntErrorKind::InvalidDigit` text. */
export const INVALID_DIGIT = "invalid digit found in string";
/** Rust's `IntErrorKind::PosOverflow` text. */
export const TOO_LARGE = "number too large to fit in target type";

/**
 * Parses `text` as Rust parses an unsigned integer of `bits` bits in `radix`: an optional
 * single leading `+`, then digits only; the first problem met from the left decides the error.
 *
 * @returns the value
 * @throws {RangeError} with Rust's message text (see {@linkcode EMPTY} and friends)
 *
 * @example
 * ```ts
 * import { parseRustUint } from "./_rust_int.ts";
 * if (parseRustUint("+17", { bits: 16 }) !== 17n) throw new Error();
 * if (parseRustUint("644", { bits: 32, radix: 8 }) !== 0o644n) throw new Error();
 * ```
 */
export function parseRustUint(
  text: string,
  options: { bits: number; radix?: number },
): bigint {
  const radix = options.radix ?? 10;
  const max = (1n << BigInt(options.bits)) - 1n;
  if (text.length === 0) throw new RangeError(EMPTY);
  let digits = text;
  if (text[0] === "+" || text[0] === "-") {
    // A lone sign is an invalid digit; `-` is never accepted for unsigned types.
    if (text.length === 1 || text[0] === "-") {
      throw new RangeError(INVALID_DIGIT);
    }
    digits = text.slice(1);
  }
  const bigRadix = BigInt(radix);
  let value = 0n;
  for (const ch of digits) {
    const digit = digitValue(ch);
    if (digit < 0 || digit >= radix) throw new RangeError(INVALID_DIGIT);
    value = value * bigRadix + BigInt(digit);
    if (value > max) throw new RangeError(TOO_LARGE);
  }
  return value;
}

function digitValue(ch: string): number {
  const c = ch.charCodeAt(0);
  if (ch.length !== 1) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return -1;
}
