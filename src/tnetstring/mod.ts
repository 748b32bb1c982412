/**
 * tnetstrings (`<length>:<data><type>`), the encoding of every ZHTTP packet, with
 * Condure's parsing rules: a generic {@linkcode decode}/{@linkcode encode} pair, an
 * append-only {@linkcode TnetWriter} for hot encoders, and the allocation-free
 * {@linkcode scanFrame}/{@linkcode parseIntData} primitives for lazy parsers.
 *
 * @example
 * ```ts
 * import { decode, encode } from "./mod.ts";
 * const bytes = encode([1, "two", true]);
 * const { value } = decode(bytes);
 * if (!Array.isArray(value) || value[0] !== 1) throw new Error();
 * ```
 *
 * @module
 */
export type { TnetInput, TnetMap, TnetValue } from "./types.ts";
export { decode, DEPTH_MAX } from "./decode.ts";
export { encode } from "./encode.ts";
export { TnetWriter } from "./writer.ts";
export { frameLength, intFrameLength, utf8ByteLength } from "./sizes.ts";
export { putBytes, putInt, putPrefix, putRaw, putString } from "./put.ts";
export {
  FRAME_EOF,
  FRAME_INVALID,
  parseIntData,
  scanFrame,
  type TnetFrame,
  TYPE_BOOL,
  TYPE_FLOAT,
  TYPE_INT,
  TYPE_LIST,
  TYPE_MAP,
  TYPE_NULL,
  TYPE_STRING,
} from "./frame.ts";
