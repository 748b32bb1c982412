/**
 * Payload masking (RFC 6455 §5.3), in place and word-at-a-time.
 *
 * @module
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Below this many bytes a plain byte loop beats setting up a word view. */
const WORD_THRESHOLD = 32;

/**
 * XORs `data` in place with the masking key `mask` (big-endian 32-bit, as
 * `parseFrameHeader()` returns it). Masking and unmasking are the same operation.
 *
 * `offset` is the position of `data[0]` within the frame payload, so a payload that arrives
 * in several chunks can be unmasked chunk by chunk: pass the number of payload bytes already
 * unmasked. (Three positional parameters, against the project's usual two, because this is
 * the hottest call of the WebSocket path and an options object per chunk buys nothing.)
 *
 * Works 4 bytes at a time on the 4-byte-aligned middle of `data`.
 *
 * @example
 * ```ts
 * import { unmask } from "./mod.ts";
 * // RFC 6455 §5.7: masked "Hello" with key 37 fa 21 3d
 * const payload = new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * unmask(payload.subarray(0, 2), 0x37fa213d, 0);
 * unmask(payload.subarray(2), 0x37fa213d, 2);
 * console.log(new TextDecoder().decode(payload)); // Hello
 * ```
 */
export function unmask(data: Uint8Array, mask: number, offset = 0): void {
  const len = data.length;
  if (len === 0 || mask === 0) return;
  // Mask bytes in payload order, indexed by (payload position & 3).
  const m0 = (mask >>> 24) & 0xff;
  const m1 = (mask >>> 16) & 0xff;
  const m2 = (mask >>> 8) & 0xff;
  const m3 = mask & 0xff;
  const k = offset & 3;
  if (len < WORD_THRESHOLD) {
    for (let i = 0; i < len; i++) {
      const t = (k + i) & 3;
      data[i]! ^= t === 0 ? m0 : t === 1 ? m1 : t === 2 ? m2 : m3;
    }
    return;
  }
  // Bytes up to the first 4-byte-aligned address.
  const head = (4 - (data.byteOffset & 3)) & 3;
  let i = 0;
  for (; i < head; i++) {
    const j = (k + i) & 3;
    data[i]! ^= j === 0 ? m0 : j === 1 ? m1 : j === 2 ? m2 : m3;
  }
  // The word at data[i] covers payload positions with mask bytes j, j+1, j+2, j+3.
  const j = (k + i) & 3;
  const b0 = j === 0 ? m0 : j === 1 ? m1 : j === 2 ? m2 : m3;
  const b1 = j === 0 ? m1 : j === 1 ? m2 : j === 2 ? m3 : m0;
  const b2 = j === 0 ? m2 : j === 1 ? m3 : j === 2 ? m0 : m1;
  const b3 = j === 0 ? m3 : j === 1 ? m0 : j === 2 ? m1 : m2;
  const word = LITTLE_ENDIAN
    ? (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24))
    : ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3);
  const words = (len - i) >>> 2;
  const view = new Int32Array(data.buffer, data.byteOffset + i, words);
  for (let w = 0; w < words; w++) view[w]! ^= word;
  i += words << 2;
  for (; i < len; i++) {
    const t = (k + i) & 3;
    data[i]! ^= t === 0 ? m0 : t === 1 ? m1 : t === 2 ? m2 : m3;
  }
}
