import type { TnetInput } from "./types.ts";
import { TnetWriter } from "./writer.ts";

/**
 * Encodes a value as a tnetstring. JavaScript strings become UTF-8 byte strings (`,`),
 * integers `#`, other numbers `^`.
 *
 * @throws {RangeError} For integers outside the safe range, NaN/Infinity, or containers
 * nested deeper than 64 levels.
 *
 * @example
 * ```ts
 * import { encode } from "./mod.ts";
 * const bytes = encode(new Map([["foo", "bar"]]));
 * if (new TextDecoder().decode(bytes) !== "12:3:foo,3:bar,}") throw new Error();
 * ```
 */
export function encode(value: TnetInput): Uint8Array {
  return new TnetWriter(64).writeValue(value).finish();
}
