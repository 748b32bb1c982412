/**
 * Close frame payloads (RFC 6455 §5.5.1, §7.4): a 2-byte big-endian status code and a UTF-8
 * reason, or nothing.
 *
 * @module
 */

import { CloseCode, WsProtocolError } from "./error.ts";
import { MAX_CONTROL_PAYLOAD } from "./frame.ts";
import { isValidUtf8 } from "./utf8.ts";

const EMPTY = new Uint8Array(0);

/**
 * Whether `code` may appear in a close frame (RFC 6455 §7.4): 1000-1003, 1007-1014 and
 * 3000-4999. 1005, 1006 and 1015 are reserved for APIs and never sent; 1004 and 1016-2999
 * are undefined.
 *
 * @example
 * ```ts
 * import { isValidCloseCode } from "./mod.ts";
 * console.log(isValidCloseCode(1000), isValidCloseCode(1005)); // true false
 * ```
 */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

/**
 * Builds a close frame payload. `code` undefined gives an empty payload (then `reason` must be
 * empty). Throws `RangeError` for a code that may not be sent (see
 * {@linkcode isValidCloseCode}), a reason without a code, or a payload over 125 bytes. The
 * reason's UTF-8 validity is the caller's business (a handler's close body is passed through).
 *
 * @example
 * ```ts
 * import { encodeClosePayload } from "./mod.ts";
 * console.log(encodeClosePayload(1000, new TextEncoder().encode("bye")));
 * // Uint8Array(5) [ 3, 232, 98, 121, 101 ]
 * ```
 */
export function encodeClosePayload(
  code: number | undefined,
  reason: Uint8Array,
): Uint8Array {
  if (code === undefined) {
    if (reason.length > 0) {
      throw new RangeError(
        "Cannot encode close payload: a reason needs a status code",
      );
    }
    return EMPTY;
  }
  if (!isValidCloseCode(code)) {
    throw new RangeError(
      `Cannot encode close payload: invalid status code ${code}`,
    );
  }
  if (reason.length + 2 > MAX_CONTROL_PAYLOAD) {
    throw new RangeError(
      `Cannot encode close payload: reason of ${reason.length} bytes exceeds 123 bytes`,
    );
  }
  const out = new Uint8Array(2 + reason.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(reason, 2);
  return out;
}

/** A parsed close payload. */
export interface ClosePayload {
  /** The status code; absent when the payload was empty (report it as 1005 if needed). */
  code?: number;
  /** The reason bytes (valid UTF-8), a view into the payload. */
  reason: Uint8Array;
}

/**
 * Parses a (unmasked) close frame payload. Throws {@linkcode WsProtocolError}: 1002 for a
 * 1-byte payload or an invalid status code, 1007 for a reason that is not UTF-8.
 *
 * @example
 * ```ts
 * import { parseClosePayload } from "./mod.ts";
 * const { code, reason } = parseClosePayload(new Uint8Array([0x03, 0xe9, 0x68, 0x69]));
 * console.log(code, new TextDecoder().decode(reason)); // 1001 hi
 * ```
 */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { reason: payload };
  if (payload.length === 1) {
    throw new WsProtocolError(
      "Cannot parse close payload: 1 byte is too short for a status code",
      CloseCode.ProtocolError,
    );
  }
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidCloseCode(code)) {
    throw new WsProtocolError(
      `Cannot parse close payload: invalid status code ${code}`,
      CloseCode.ProtocolError,
    );
  }
  const reason = payload.subarray(2);
  if (!isValidUtf8(reason)) {
    throw new WsProtocolError(
      "Cannot parse close payload: reason is not valid UTF-8",
      CloseCode.InvalidPayload,
    );
  }
  return { code, reason };
}
