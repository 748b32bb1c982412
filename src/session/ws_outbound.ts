/**
 * Handler → client direction of a WebSocket session (reference §7.6): turns handler data
 * packets into message frames (opcode from the message's first packet, continuation frames
 * after it, FIN on the packet without `more`), compressed when permessage-deflate was
 * negotiated, and control packets into control frames.
 *
 * @module
 */

import {
  DeflateEncoder,
  encodeClosePayload,
  frameHeaderSize,
  isValidCloseCode,
  MAX_CONTROL_PAYLOAD,
  Opcode,
  writeFrameHeader,
} from "../websocket/mod.ts";

const EMPTY = new Uint8Array(0);

/** Options of {@linkcode WsOutbound}. */
export interface WsOutboundOptions {
  /** permessage-deflate was negotiated: compress every data message. */
  deflate: { serverNoContextTakeover: boolean } | null;
}

/**
 * Frame builder for what the handler sends. Each call returns the bytes to write (a fresh
 * array), possibly empty when nothing can be sent yet.
 *
 * @example
 * ```ts
 * import { WsOutbound } from "./ws_outbound.ts";
 * const out = new WsOutbound({ deflate: null });
 * console.log(out.data(new TextEncoder().encode("hi"), { more: false, binary: false }));
 * // Uint8Array(4) [ 129, 2, 104, 105 ]
 * ```
 */
export class WsOutbound implements Disposable {
  readonly #encoder: DeflateEncoder | null;
  #open = false;
  #started = false;
  #opcode: number = Opcode.Text;

  /** Creates a builder; with `deflate`, owns an encoder until {@linkcode close}. */
  constructor(options: WsOutboundOptions) {
    this.#encoder = options.deflate === null ? null : new DeflateEncoder({
      noContextTakeover: options.deflate.serverNoContextTakeover,
    });
  }

  /** Whether a message is in progress (started and not yet finished). */
  get inMessage(): boolean {
    return this.#open;
  }

  /**
   * Frames the next piece of a message. A piece with `more` continues the message; the
   * first piece fixes the opcode (`binary` → 2, else 1). Empty non-final pieces produce no
   * frame.
   */
  data(
    body: Uint8Array,
    options: { more: boolean; binary: boolean },
  ): Uint8Array {
    const fin = !options.more;
    if (!this.#open) {
      this.#open = true;
      this.#started = false;
      this.#opcode = options.binary ? Opcode.Binary : Opcode.Text;
    }
    const payload = this.#encoder === null
      ? body
      : this.#encoder.push(body, fin);
    if (payload.length === 0 && !fin) return EMPTY;
    const first = !this.#started;
    this.#started = true;
    if (fin) this.#open = false;
    return frame(payload, {
      fin,
      opcode: first ? this.#opcode : Opcode.Continuation,
      rsv1: first && this.#encoder !== null,
    });
  }

  /**
   * A ping or pong frame. Throws `RangeError` for a payload over 125 bytes.
   */
  control(kind: "ping" | "pong", body: Uint8Array): Uint8Array {
    if (body.length > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(
        `Cannot send ${kind}: payload of ${body.length} bytes exceeds 125`,
      );
    }
    return frame(body, {
      fin: true,
      opcode: kind === "ping" ? Opcode.Ping : Opcode.Pong,
      rsv1: false,
    });
  }

  /**
   * A close frame: `code` (1000 when absent, or when it is not a code that may be sent)
   * and `reason`. Throws `RangeError` for a reason over 123 bytes.
   */
  closeFrame(code: number | undefined, reason: Uint8Array): Uint8Array {
    const c = code !== undefined && isValidCloseCode(code) ? code : 1000;
    return frame(encodeClosePayload(c, reason), {
      fin: true,
      opcode: Opcode.Close,
      rsv1: false,
    });
  }

  /** Frees the encoder; idempotent. */
  close(): void {
    this.#encoder?.close();
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function frame(
  payload: Uint8Array,
  options: { fin: boolean; opcode: number; rsv1: boolean },
): Uint8Array {
  const opts = { ...options, payloadLength: payload.length };
  const hs = frameHeaderSize(opts);
  const out = new Uint8Array(hs + payload.length);
  writeFrameHeader(out, opts);
  out.set(payload, hs);
  return out;
}
