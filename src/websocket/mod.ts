/**
 * The WebSocket codec, pure and synchronous (no I/O): frame headers and masking
 * (RFC 6455 §5), close payloads, streaming UTF-8 validation, the `Sec-WebSocket-Accept` key,
 * and permessage-deflate (RFC 7692) negotiation and compression.
 *
 * Where Condure 1.9.1 is laxer than RFC 6455 (unmasked client frames, UTF-8, control frame
 * sizes), the RFC is followed: violations throw {@linkcode WsProtocolError} carrying the close
 * code. Message-level rules (continuation without a message, interleaving) are the session's.
 *
 * @example
 * ```ts
 * import { Opcode, parseFrameHeader, unmask } from "./mod.ts";
 * const frame = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * const h = parseFrameHeader(frame, { requireMask: true, allowRsv1: false })!;
 * const payload = frame.subarray(h.headerSize, h.headerSize + h.payloadLength);
 * unmask(payload, h.mask, 0);
 * console.log(h.opcode === Opcode.Text, new TextDecoder().decode(payload)); // true Hello
 * ```
 *
 * @module
 */

export { CloseCode, WsProtocolError } from "./error.ts";
export {
  encodeFrameHeader,
  type EncodeFrameHeaderOptions,
  type FrameHeader,
  frameHeaderSize,
  MAX_CONTROL_PAYLOAD,
  MAX_FRAME_HEADER_SIZE,
  Opcode,
  parseFrameHeader,
  type ParseFrameHeaderOptions,
  writeFrameHeader,
} from "./frame.ts";
export { unmask } from "./mask.ts";
export {
  type ClosePayload,
  encodeClosePayload,
  isValidCloseCode,
  parseClosePayload,
} from "./close.ts";
export { isValidUtf8, Utf8Validator } from "./utf8.ts";
export { computeAcceptKey, WEBSOCKET_GUID } from "./handshake.ts";
export {
  type DeflateNegotiation,
  type ExtensionOffer,
  negotiateDeflate,
  parseExtensions,
} from "./extensions.ts";
export {
  DeflateDecoder,
  type DeflateDecoderOptions,
  DeflateEncoder,
  type DeflateEncoderOptions,
} from "./deflate.ts";
