import { CR, LF } from "./_bytes.ts";

/** The last chunk of a chunked body, without trailers: `0\r\n\r\n`. */
export const LAST_CHUNK: Uint8Array = Uint8Array.of(0x30, CR, LF, CR, LF);

/**
 * Bytes that chunk framing adds around `length` data bytes (hex size, CRLF, CRLF).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkOverhead } from "./chunk_encoder.ts";
 * assert(chunkOverhead(5) === 5 && chunkOverhead(0x138d) === 8);
 * ```
 */
export function chunkOverhead(length: number): number {
  return length.toString(16).length + 4;
}

/**
 * Writes `data` as one chunk (lowercase hex size, CRLF, data, CRLF) into `target` at
 * `offset`, returning the number of bytes written. Empty data writes nothing (an empty
 * chunk would end the body; use {@linkcode LAST_CHUNK}).
 *
 * @throws {RangeError} when `target` has no room for the chunk.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeChunk } from "./chunk_encoder.ts";
 * const out = new Uint8Array(16);
 * const n = writeChunk(new TextEncoder().encode("hello"), out, 0);
 * assert(new TextDecoder().decode(out.subarray(0, n)) === "5\r\nhello\r\n");
 * ```
 */
export function writeChunk(
  data: Uint8Array,
  target: Uint8Array,
  offset: number,
): number {
  const length = data.length;
  if (length === 0) return 0;
  const hex = length.toString(16);
  const total = hex.length + length + 4;
  if (offset < 0 || offset + total > target.length) {
    throw new RangeError("Cannot write chunk: target buffer too small");
  }
  let pos = offset;
  for (let i = 0; i < hex.length; i++) target[pos++] = hex.charCodeAt(i);
  target[pos++] = CR;
  target[pos++] = LF;
  target.set(data, pos);
  pos += length;
  target[pos++] = CR;
  target[pos++] = LF;
  return total;
}

/**
 * `data` framed as one chunk in a new array (empty data gives an empty array).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeChunk } from "./chunk_encoder.ts";
 * const c = encodeChunk(new TextEncoder().encode("part1"));
 * assert(new TextDecoder().decode(c) === "5\r\npart1\r\n");
 * ```
 */
export function encodeChunk(data: Uint8Array): Uint8Array {
  if (data.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(chunkOverhead(data.length) + data.length);
  writeChunk(data, out, 0);
  return out;
}
