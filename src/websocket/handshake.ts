/**
 * Opening-handshake helper (RFC 6455 §4.2.2): the `Sec-WebSocket-Accept` value.
 *
 * SHA-1 is a small synchronous pure-TypeScript implementation (tested against `node:crypto`):
 * the handshake stays synchronous, the module stays free of runtime APIs, and for inputs this
 * short (≤ 256 bytes, two SHA-1 blocks) it costs about as much as one call into native code.
 *
 * @module
 */

import { sha1 } from "./_sha1.ts";

/** The GUID of RFC 6455 §1.3. */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const encoder = new TextEncoder();
const GUID_BYTES = encoder.encode(WEBSOCKET_GUID);

/**
 * `base64(SHA-1(key + GUID))`: the `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`.
 * The key is used as given (bytes as received, or a string encoded as UTF-8), without
 * trimming or validation, like Condure (which only bounds its length).
 *
 * @example
 * ```ts
 * import { computeAcceptKey } from "./mod.ts";
 * console.log(computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ==")); // s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
 * ```
 */
export function computeAcceptKey(key: string | Uint8Array): string {
  const k = typeof key === "string" ? encoder.encode(key) : key;
  const input = new Uint8Array(k.length + GUID_BYTES.length);
  input.set(k);
  input.set(GUID_BYTES, k.length);
  const digest = sha1(input);
  let s = "";
  for (let i = 0; i < digest.length; i++) s += String.fromCharCode(digest[i]!);
  return btoa(s);
}
