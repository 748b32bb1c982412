import {
  digitsValue,
  rangeEquals,
  rangeEqualsLower,
  someListElement,
} from "./_bytes.ts";
import type { HeaderPair } from "./request_head.ts";

/**
 * Whether a header name equals `lowerName` ignoring ASCII case. `lowerName` must be lowercase
 * letters, digits and `-` (as every well-known header name is).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerNameEquals } from "./headers.ts";
 * assert(headerNameEquals(new TextEncoder().encode("Content-Length"), "content-length"));
 * ```
 */
export function headerNameEquals(name: Uint8Array, lowerName: string): boolean {
  return rangeEqualsLower(name, 0, name.length, lowerName);
}

/**
 * Whether a header value equals the ASCII string `s` exactly (case-sensitive).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerValueEquals } from "./headers.ts";
 * assert(headerValueEquals(new TextEncoder().encode("websocket"), "websocket"));
 * ```
 */
export function headerValueEquals(value: Uint8Array, s: string): boolean {
  return rangeEquals(value, 0, value.length, s);
}

/**
 * Whether a comma-separated header value has an element equal to `lowerToken`, ignoring ASCII
 * case and surrounding whitespace (e.g. `close` in `Connection: Keep-Alive, Close`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerValueHasToken } from "./headers.ts";
 * assert(headerValueHasToken(new TextEncoder().encode("a, Close"), "close"));
 * ```
 */
export function headerValueHasToken(
  value: Uint8Array,
  lowerToken: string,
): boolean {
  return someListElement(
    value,
    0,
    value.length,
    (a, b) => rangeEqualsLower(value, a, b, lowerToken),
  );
}

/**
 * The value of the first header named `lowerName` (ASCII case ignored), or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findHeader } from "./headers.ts";
 * const e = new TextEncoder();
 * const v = findHeader([[e.encode("Sec-WebSocket-Key"), e.encode("k")]], "sec-websocket-key");
 * assert(v?.[0] === 0x6b);
 * ```
 */
export function findHeader(
  headers: ReadonlyArray<HeaderPair>,
  lowerName: string,
): Uint8Array | undefined {
  for (const [name, value] of headers) {
    if (rangeEqualsLower(name, 0, name.length, lowerName)) return value;
  }
  return undefined;
}

/**
 * Parses a Content-Length value given by a handler: ASCII digits only (no sign, no
 * whitespace), at most `Number.MAX_SAFE_INTEGER`.
 *
 * @throws {SyntaxError} when the value is not such a number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseContentLength } from "./headers.ts";
 * assert(parseContentLength(new TextEncoder().encode("42")) === 42);
 * ```
 */
export function parseContentLength(value: Uint8Array): number {
  const n = digitsValue(value, 0, value.length);
  if (n === -1) {
    throw new SyntaxError(
      `Cannot parse Content-Length "${
        String.fromCharCode(...value.subarray(0, 64))
      }": not a non-negative integer`,
    );
  }
  return n;
}
