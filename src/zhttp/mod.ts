/**
 * ZHTTP packets: `T` + one tnetstring map, as Condure 1.9.1 writes them to handlers
 * ({@linkcode encodePacket}) and reads them from handlers ({@linkcode parsePacket}),
 * plus the routing helpers for the SUB socket ({@linkcode splitAddress},
 * {@linkcode peekIds}). Pure: no I/O.
 *
 * @example
 * ```ts
 * import { encodePacket, parsePacket } from "./mod.ts";
 * const te = new TextEncoder();
 * const bytes = encodePacket({
 *   type: "keep-alive",
 *   from: te.encode("condure"),
 *   ids: [{ id: te.encode("0-0-0"), seq: 1 }],
 * });
 * const p = parsePacket(bytes);
 * if (p.type !== "keep-alive" || !p.multi) throw new Error();
 * ```
 *
 * @module
 */
export {
  FROM_MAX,
  type Header,
  HEADERS_MAX,
  IDS_MAX,
  type InboundPacket,
  type OutboundPacket,
  type PacketId,
} from "./types.ts";
export { ZhttpParseError } from "./error.ts";
export { encodePacket, encodePacketInto } from "./encode.ts";
export { parsePacket } from "./parse.ts";
export { bytesEqual, peekIds, splitAddress } from "./address.ts";
export { describePacket } from "./display.ts";
