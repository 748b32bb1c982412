/**
 * Streaming UTF-8 validation (RFC 3629) for text messages and close reasons whose bytes arrive
 * in several chunks or frames.
 *
 * @module
 */

/**
 * Incremental UTF-8 validator: rejects overlong encodings, surrogates (U+D800-U+DFFF), code
 * points above U+10FFFF and stray continuation bytes, and accepts a code point split across
 * `push()` calls. An invalid sequence is reported by the `push()` that completes the evidence
 * (fail-fast: e.g. `ED A0` fails at once, without waiting for a third byte).
 *
 * @example
 * ```ts
 * import { Utf8Validator } from "./mod.ts";
 * const v = new Utf8Validator();
 * v.push(new Uint8Array([0xe2, 0x82])); // true: valid so far
 * v.push(new Uint8Array([0xac])); // true: "€" complete
 * console.log(v.end()); // true
 * ```
 */
export class Utf8Validator {
  /** Continuation bytes still needed by the current code point. */
  #need = 0;
  /** Allowed range of the next continuation byte. */
  #lo = 0x80;
  #hi = 0xbf;
  #invalid = false;

  /**
   * Feeds the next bytes; returns false once the input seen so far cannot be valid UTF-8
   * (and keeps returning false until `reset()`/`end()`).
   *
   * @example
   * ```ts
   * import { Utf8Validator } from "./mod.ts";
   * console.log(new Utf8Validator().push(new Uint8Array([0xc0, 0x80]))); // false (overlong)
   * ```
   */
  push(chunk: Uint8Array): boolean {
    if (this.#invalid) return false;
    let need = this.#need;
    let lo = this.#lo;
    let hi = this.#hi;
    const len = chunk.length;
    let i = 0;
    while (i < len) {
      const b = chunk[i++]!;
      if (need === 0) {
        if (b < 0x80) {
          // ASCII run.
          while (i < len && chunk[i]! < 0x80) i++;
          continue;
        }
        if (b < 0xc2) return this.#fail(); // continuation byte or overlong C0/C1
        if (b < 0xe0) {
          need = 1;
        } else if (b < 0xf0) {
          need = 2;
          if (b === 0xe0) lo = 0xa0; // overlong
          else if (b === 0xed) hi = 0x9f; // surrogates
        } else if (b < 0xf5) {
          need = 3;
          if (b === 0xf0) lo = 0x90; // overlong
          else if (b === 0xf4) hi = 0x8f; // > U+10FFFF
        } else {
          return this.#fail();
        }
      } else {
        if (b < lo || b > hi) return this.#fail();
        lo = 0x80;
        hi = 0xbf;
        need--;
      }
    }
    this.#need = need;
    this.#lo = lo;
    this.#hi = hi;
    return true;
  }

  /**
   * Whether everything pushed since the last reset is complete, valid UTF-8 (no code point left
   * unfinished); then resets for the next message.
   *
   * @example
   * ```ts
   * import { Utf8Validator } from "./mod.ts";
   * const v = new Utf8Validator();
   * v.push(new Uint8Array([0xe2, 0x82]));
   * console.log(v.end()); // false: truncated code point
   * ```
   */
  end(): boolean {
    const ok = !this.#invalid && this.#need === 0;
    this.reset();
    return ok;
  }

  /**
   * Forgets all input, ready for a new message.
   *
   * @example
   * ```ts
   * import { Utf8Validator } from "./mod.ts";
   * const v = new Utf8Validator();
   * v.push(new Uint8Array([0xff]));
   * v.reset();
   * console.log(v.push(new Uint8Array([0x41]))); // true
   * ```
   */
  reset(): void {
    this.#need = 0;
    this.#lo = 0x80;
    this.#hi = 0xbf;
    this.#invalid = false;
  }

  #fail(): false {
    this.#invalid = true;
    return false;
  }
}

const shared = new Utf8Validator();

/**
 * Whether `bytes` is complete, valid UTF-8 (without decoding it).
 *
 * @example
 * ```ts
 * import { isValidUtf8 } from "./mod.ts";
 * console.log(isValidUtf8(new Uint8Array([0xed, 0xa0, 0x80]))); // false (surrogate)
 * ```
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  shared.reset();
  const ok = shared.push(bytes);
  return shared.end() && ok;
}
