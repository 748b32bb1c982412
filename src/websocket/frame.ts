/**
 * WebSocket frame headers (RFC 6455 §5.2): incremental parsing with every check a server must
 * make, and encoding of (normally unmasked) server frame headers.
 *
 * @module
 */

import { CloseCode, WsProtocolError } from "./error.ts";

/**
 * Frame opcodes of RFC 6455 §5.2; 3-7 and 11-15 are reserved.
 *
 * @example
 * ```ts
 * import { Opcode } from "./mod.ts";
 * console.log(Opcode.Text); // 1
 * ```
 */
export const Opcode = {
  Continuation: 0,
  Text: 1,
  Binary: 2,
  Close: 8,
  Ping: 9,
  Pong: 10,
} as const;

/** One of the defined opcodes. */
export type Opcode = typeof Opcode[keyof typeof Opcode];

/** Largest payload of a control frame (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** Largest possible frame header: 2 + 8 (64-bit length) + 4 (masking key). */
export const MAX_FRAME_HEADER_SIZE = 14;

/**
 * A parsed frame header.
 */
export interface FrameHeader {
  /** FIN bit: last frame of a message. */
  fin: boolean;
  /** RSV1 bit: "compressed" on the first frame of a permessage-deflate message. */
  rsv1: boolean;
  /** The opcode (0-2, 8-10 after a successful parse). */
  opcode: number;
  /** MASK bit. */
  masked: boolean;
  /**
   * The masking key as a big-endian unsigned 32-bit number (first key byte in the top bits),
   * 0 when not masked. Pass it to `unmask()`.
   */
  mask: number;
  /** Payload length in bytes (≤ `Number.MAX_SAFE_INTEGER`). */
  payloadLength: number;
  /** Bytes taken by the header (2-14); the payload starts at this offset. */
  headerSize: number;
}

/** Options of {@linkcode parseFrameHeader}. */
export interface ParseFrameHeaderOptions {
  /** Reject unmasked frames with 1002 (true for frames from a client, RFC 6455 §5.1). */
  requireMask: boolean;
  /** Whether RSV1 may be set on the first frame of a data message (permessage-deflate negotiated). */
  allowRsv1: boolean;
}

function isControl(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

function protocolError(what: string): WsProtocolError {
  return new WsProtocolError(
    `Cannot parse frame: ${what}`,
    CloseCode.ProtocolError,
  );
}

/**
 * Parses the frame header at the start of `buf`. Returns `null` while `buf` holds an
 * incomplete header; each byte is checked as soon as it is available, so a bad first byte fails
 * even when alone.
 *
 * Throws {@linkcode WsProtocolError} (1002) for: RSV2/RSV3 set; reserved opcodes 3-7/11-15;
 * RSV1 on a control or continuation frame, or when `allowRsv1` is false; a control frame
 * that is not FIN or longer than 125 bytes; an unmasked frame when `requireMask`; a 64-bit
 * length with its most significant bit set. A length above `Number.MAX_SAFE_INTEGER`
 * throws with 1009. Non-minimal length encodings are accepted (the RFC binds senders only).
 * Message-level rules (continuation without a started message, …) belong to the session.
 *
 * @example
 * ```ts
 * import { parseFrameHeader } from "./mod.ts";
 * const h = parseFrameHeader(new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]), {
 *   requireMask: true,
 *   allowRsv1: false,
 * });
 * console.log(h?.payloadLength, h?.headerSize); // 5 6
 * ```
 */
export function parseFrameHeader(
  buf: Uint8Array,
  options: ParseFrameHeaderOptions,
): FrameHeader | null {
  const len = buf.length;
  if (len < 1) return null;
  const b0 = buf[0]!;
  const fin = (b0 & 0x80) !== 0;
  const rsv1 = (b0 & 0x40) !== 0;
  const opcode = b0 & 0x0f;
  if ((b0 & 0x30) !== 0) throw protocolError("RSV2/RSV3 bits set");
  if ((opcode > 2 && opcode < 8) || opcode > 10) {
    throw protocolError(`reserved opcode ${opcode}`);
  }
  const control = isControl(opcode);
  if (control && !fin) throw protocolError("fragmented control frame");
  if (rsv1) {
    if (!options.allowRsv1) {
      throw protocolError("RSV1 set but no extension negotiated");
    }
    if (control) throw protocolError("RSV1 set on a control frame");
    if (opcode === 0) throw protocolError("RSV1 set on a continuation frame");
  }
  if (len < 2) return null;
  const b1 = buf[1]!;
  const masked = (b1 & 0x80) !== 0;
  if (!masked && options.requireMask) {
    throw protocolError("unmasked client frame");
  }
  let payloadLength = b1 & 0x7f;
  if (control && payloadLength > MAX_CONTROL_PAYLOAD) {
    throw protocolError("control frame payload longer than 125 bytes");
  }
  let pos = 2;
  if (payloadLength === 126) {
    if (len < 4) return null;
    payloadLength = (buf[2]! << 8) | buf[3]!;
    pos = 4;
  } else if (payloadLength === 127) {
    if (len < 3) return null;
    if ((buf[2]! & 0x80) !== 0) {
      throw protocolError("64-bit payload length with its top bit set");
    }
    if (buf[2]! !== 0 || (len >= 4 && (buf[3]! & 0xe0) !== 0)) {
      throw new WsProtocolError(
        "Cannot parse frame: payload length exceeds 2^53-1",
        CloseCode.MessageTooBig,
      );
    }
    if (len < 10) return null;
    const hi = (buf[3]! << 16) | (buf[4]! << 8) | buf[5]!;
    const lo =
      ((buf[6]! << 24) | (buf[7]! << 16) | (buf[8]! << 8) | buf[9]!) >>> 0;
    payloadLength = hi * 0x1_0000_0000 + lo;
    pos = 10;
  }
  let mask = 0;
  if (masked) {
    if (len < pos + 4) return null;
    mask = ((buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) |
      buf[pos + 3]!) >>>
      0;
    pos += 4;
  }
  return { fin, rsv1, opcode, masked, mask, payloadLength, headerSize: pos };
}

/** Options of {@linkcode encodeFrameHeader} and {@linkcode writeFrameHeader}. */
export interface EncodeFrameHeaderOptions {
  /** FIN bit. */
  fin: boolean;
  /** RSV1 bit (compressed message); default false. */
  rsv1?: boolean;
  /** Opcode, one of {@linkcode Opcode}. */
  opcode: number;
  /** Payload length in bytes. */
  payloadLength: number;
  /**
   * Masking key (big-endian 32-bit) to set the MASK bit and write the key; omit for server
   * frames, which are never masked. The payload itself is not touched: mask it with `unmask()`.
   */
  mask?: number;
}

/**
 * Size in bytes of the header {@linkcode writeFrameHeader} writes for these options.
 *
 * @example
 * ```ts
 * import { frameHeaderSize } from "./mod.ts";
 * console.log(frameHeaderSize({ fin: true, opcode: 2, payloadLength: 70000 })); // 10
 * ```
 */
export function frameHeaderSize(options: EncodeFrameHeaderOptions): number {
  const n = options.payloadLength;
  const base = n < 126 ? 2 : n < 0x10000 ? 4 : 10;
  return options.mask === undefined ? base : base + 4;
}

/**
 * Writes a frame header at the start of `target` (which needs {@linkcode frameHeaderSize}
 * bytes; 14 always suffice) and returns the number of bytes written. Uses the minimal length
 * encoding. Throws `RangeError` for an undefined opcode, a bad length, or a control frame that
 * is fragmented or longer than 125 bytes; `TypeError` for RSV1 on a control frame.
 *
 * @example
 * ```ts
 * import { Opcode, writeFrameHeader } from "./mod.ts";
 * const out = new Uint8Array(14);
 * const n = writeFrameHeader(out, { fin: true, opcode: Opcode.Text, payloadLength: 300 });
 * console.log(out.subarray(0, n)); // Uint8Array(4) [ 129, 126, 1, 44 ]
 * ```
 */
export function writeFrameHeader(
  target: Uint8Array,
  options: EncodeFrameHeaderOptions,
): number {
  const { fin, opcode, payloadLength: n } = options;
  const rsv1 = options.rsv1 === true;
  if (
    !Number.isInteger(opcode) || opcode < 0 || (opcode > 2 && opcode < 8) ||
    opcode > 10
  ) {
    throw new RangeError(
      `Cannot encode frame header: undefined opcode ${opcode}`,
    );
  }
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(
      `Cannot encode frame header: invalid payload length ${n}`,
    );
  }
  if (isControl(opcode)) {
    if (!fin) {
      throw new RangeError(
        "Cannot encode frame header: fragmented control frame",
      );
    }
    if (n > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(
        `Cannot encode frame header: control payload of ${n} bytes > 125`,
      );
    }
    if (rsv1) {
      throw new TypeError(
        "Cannot encode frame header: RSV1 on a control frame",
      );
    }
  }
  const size = frameHeaderSize(options);
  if (target.length < size) {
    throw new RangeError(
      `Cannot encode frame header: target shorter than ${size} bytes`,
    );
  }
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = options.mask === undefined ? 0 : 0x80;
  let pos: number;
  if (n < 126) {
    target[1] = maskBit | n;
    pos = 2;
  } else if (n < 0x10000) {
    target[1] = maskBit | 126;
    target[2] = n >>> 8;
    target[3] = n & 0xff;
    pos = 4;
  } else {
    target[1] = maskBit | 127;
    const hi = Math.floor(n / 0x1_0000_0000);
    const lo = n >>> 0;
    target[2] = 0;
    target[3] = (hi >>> 16) & 0xff;
    target[4] = (hi >>> 8) & 0xff;
    target[5] = hi & 0xff;
    target[6] = lo >>> 24;
    target[7] = (lo >>> 16) & 0xff;
    target[8] = (lo >>> 8) & 0xff;
    target[9] = lo & 0xff;
    pos = 10;
  }
  if (options.mask !== undefined) {
    const m = options.mask;
    target[pos] = m >>> 24;
    target[pos + 1] = (m >>> 16) & 0xff;
    target[pos + 2] = (m >>> 8) & 0xff;
    target[pos + 3] = m & 0xff;
    pos += 4;
  }
  return pos;
}

/**
 * Encodes a frame header into a new array of exactly the right size (see
 * {@linkcode writeFrameHeader} for the rules and errors).
 *
 * @example
 * ```ts
 * import { encodeFrameHeader, Opcode } from "./mod.ts";
 * console.log(encodeFrameHeader({ fin: true, opcode: Opcode.Close, payloadLength: 2 }));
 * // Uint8Array(2) [ 136, 2 ]
 * ```
 */
export function encodeFrameHeader(
  options: EncodeFrameHeaderOptions,
): Uint8Array {
  const out = new Uint8Array(frameHeaderSize(options));
  writeFrameHeader(out, options);
  return out;
}
