/**
 * The one error class of the WebSocket codec: a protocol violation by the peer, carrying the
 * close code (RFC 6455 §7.4.1) the session should close the connection with.
 *
 * @module
 */

/**
 * Close codes of RFC 6455 §7.4.1 that the codec and the session use.
 *
 * @example
 * ```ts
 * import { CloseCode } from "./mod.ts";
 * console.log(CloseCode.ProtocolError); // 1002
 * ```
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Never sent: "no status code was present". */
  NoStatus: 1005,
  /** Never sent: "closed abnormally". */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
} as const;

/** A close code named in {@linkcode CloseCode}. */
export type CloseCode = typeof CloseCode[keyof typeof CloseCode];

/**
 * A WebSocket protocol violation by the peer. `closeCode` is the code to close with:
 * 1002 protocol error, 1007 invalid payload data (bad UTF-8, corrupt deflate data),
 * 1009 message too big.
 *
 * @example
 * ```ts
 * import { parseClosePayload, WsProtocolError } from "./mod.ts";
 * try {
 *   parseClosePayload(new Uint8Array([3]));
 * } catch (e) {
 *   if (e instanceof WsProtocolError) console.log(e.closeCode); // 1002
 * }
 * ```
 */
export class WsProtocolError extends Error {
  /** The close code to send to the peer. */
  readonly closeCode: number;

  /**
   * Creates an error for a violation that must close the connection with `closeCode`.
   *
   * @example
   * ```ts
   * import { WsProtocolError } from "./mod.ts";
   * const e = new WsProtocolError("Cannot parse frame: reserved opcode 3", 1002);
   * console.log(e.closeCode);
   * ```
   */
  constructor(message: string, closeCode: number) {
    super(message);
    this.name = "WsProtocolError";
    this.closeCode = closeCode;
  }
}
