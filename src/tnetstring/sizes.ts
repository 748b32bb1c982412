import { digitCount, utf8Length } from "./_digits.ts";

/**
 * Size of a whole frame (`<digits>:<data><type>`) whose data is `dataLength` bytes long.
 * Lets encoders compute container lengths up front and write without moving bytes.
 *
 * @example
 * ```ts
 * import { frameLength } from "./mod.ts";
 * if (frameLength(5) !== 8) throw new Error(); // "5:hello,"
 * ```
 */
export function frameLength(dataLength: number): number {
  return digitCount(dataLength) + dataLength + 2;
}

/**
 * Size of the frame of a safe integer (`1:0#`, `3:-42#`).
 *
 * @example
 * ```ts
 * import { intFrameLength } from "./mod.ts";
 * if (intFrameLength(-42) !== 6) throw new Error(); // "3:-42#"
 * ```
 */
export function intFrameLength(n: number): number {
  return frameLength(n < 0 ? digitCount(-n) + 1 : digitCount(n));
}

/**
 * Number of bytes `s` takes in UTF-8 (lone surrogates count as U+FFFD, as
 * `TextEncoder` writes them). Fast for ASCII.
 *
 * @example
 * ```ts
 * import { utf8ByteLength } from "./mod.ts";
 * if (utf8ByteLength("héllo") !== 6) throw new Error();
 * ```
 */
export function utf8ByteLength(s: string): number {
  const l = utf8Length(s);
  return l < 0 ? -l - 1 : l;
}
