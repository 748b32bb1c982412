/**
 * Client → handler direction of a WebSocket session (reference §7.5): turns the client's
 * frames, read into the connection buffer, into message pieces and control events sized for
 * ZHTTP packets, under the handler's credits.
 *
 * RFC 6455 is enforced where Condure 1.9.1 is lax (§19): frames must be masked, text must be
 * UTF-8 (checked across frames), control frames must be short and unfragmented. A ping or pong
 * inside a fragmented message is refused as Condure does (reference §7.8, §17 item 46); a
 * close there is forwarded (the client is leaving anyway).
 *
 * @module
 */

import {
  CloseCode,
  DeflateDecoder,
  Opcode,
  parseClosePayload,
  parseFrameHeader,
  unmask,
  Utf8Validator,
  WsProtocolError,
} from "../websocket/mod.ts";

/**
 * Compressed input fed to the inflater per step. Output is drained (under credits) before the
 * next step, so a connection holds at most one step's expansion (≤ ~1032× this) of inflated
 * data at a time, however large the message.
 */
export const INFLATE_STEP = 512;

/** Largest inflated message accepted from a client; beyond it the connection fails with 1009. */
export const INFLATE_MESSAGE_MAX = 64 * 1024 * 1024;

const EMPTY = new Uint8Array(0);

/** Something to forward to the handler. Byte fields are views, valid until the next call. */
export type WsInboundEvent =
  | {
    kind: "data";
    /** `binary` for opcode 2 messages, else `text`. */
    contentType: "text" | "binary";
    body: Uint8Array;
    /** The message continues. */
    more: boolean;
  }
  | { kind: "ping" | "pong"; body: Uint8Array }
  | {
    kind: "close";
    /** Absent when the close frame had no payload. */
    code?: number;
    reason: Uint8Array;
  };

/** Options of {@linkcode WsInbound}. */
export interface WsInboundOptions {
  /** Largest data piece per event (the connection's buffer size). */
  maxChunk: number;
  /** permessage-deflate was negotiated: inflate messages with RSV1. */
  deflate: { clientNoContextTakeover: boolean } | null;
}

interface FrameState {
  fin: boolean;
  mask: number;
  remaining: number;
  offset: number;
}

/**
 * Incremental frame reader. Call {@linkcode WsInbound.next} with the unread bytes and the
 * credits available; it returns the next event or `null` (more input or credits needed), and
 * {@linkcode WsInbound.consumed} tells how many bytes of the input it used up. Payloads are
 * unmasked in place. Violations throw {@linkcode WsProtocolError} with the close code.
 *
 * @example
 * ```ts
 * import { WsInbound } from "./ws_inbound.ts";
 * const r = new WsInbound({ maxChunk: 8192, deflate: null });
 * const frame = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * const ev = r.next(frame, 100);
 * console.log(ev?.kind, r.consumed); // data 11
 * ```
 */
export class WsInbound implements Disposable {
  readonly #maxChunk: number;
  readonly #decoder: DeflateDecoder | null;
  readonly #utf8 = new Utf8Validator();
  #frame: FrameState | null = null;
  /** Opcode of the message in progress (0: none). */
  #msgOpcode = 0;
  #msgCompressed = false;
  /** Inflated output not yet handed out, and whether it ends its message. */
  #pending: Uint8Array = EMPTY;
  #pendingOff = 0;
  #pendingFinal = false;
  #pendingBinary = false;
  #consumed = 0;

  /** Creates a reader; with `deflate`, owns a decoder until {@linkcode close}. */
  constructor(options: WsInboundOptions) {
    this.#maxChunk = options.maxChunk;
    this.#decoder = options.deflate === null ? null : new DeflateDecoder({
      noContextTakeover: options.deflate.clientNoContextTakeover,
      maxMessageSize: INFLATE_MESSAGE_MAX,
    });
  }

  /** Bytes of the input the last {@linkcode next} call consumed. */
  get consumed(): number {
    return this.#consumed;
  }

  /**
   * Whether `data` (the unread client bytes) ends inside a frame, so that more input is certain
   * to follow. A session whose small idle read slot filled up uses this to read the rest before
   * forwarding, so that a message reaches the handler in one packet as with Condure.
   */
  endsMidFrame(data: Uint8Array): boolean {
    if (this.#pendingOff < this.#pending.length) return false;
    let pos = 0;
    if (this.#frame !== null) {
      if (data.length < this.#frame.remaining) return true;
      pos = this.#frame.remaining;
    }
    while (pos < data.length) {
      let h;
      try {
        h = parseFrameHeader(data.subarray(pos), {
          requireMask: false,
          allowRsv1: true,
        });
      } catch {
        return false; // a bad frame: let next() report it now
      }
      if (h === null) return true;
      const total = h.headerSize + h.payloadLength;
      if (data.length - pos < total) return true;
      pos += total;
    }
    return false;
  }

  /** Whether a message is partly forwarded. */
  get inMessage(): boolean {
    return this.#msgOpcode !== 0 || this.#pendingFinal ||
      this.#pendingOff < this.#pending.length;
  }

  /**
   * The next event from `data` (the unread client bytes) with `credits` bytes of handler
   * credit, or `null`. Data pieces never exceed the credits; ping and pong wait for enough
   * credits for their payload; close frames pass regardless.
   */
  next(data: Uint8Array, credits: number): WsInboundEvent | null {
    let pos = 0;
    this.#consumed = 0;
    try {
      for (;;) {
        // 1. inflated output waiting to be handed out
        if (this.#pendingFinal || this.#pendingOff < this.#pending.length) {
          const left = this.#pending.length - this.#pendingOff;
          if (left > 0 && credits <= 0) return null;
          const n = Math.min(left, credits, this.#maxChunk);
          const body = this.#pending.subarray(
            this.#pendingOff,
            this.#pendingOff + n,
          );
          this.#pendingOff += n;
          const drained = this.#pendingOff === this.#pending.length;
          if (drained) {
            this.#pending = EMPTY;
            this.#pendingOff = 0;
          }
          const fin = drained && this.#pendingFinal;
          if (fin) this.#pendingFinal = false;
          if (n === 0 && !fin) continue;
          return {
            kind: "data",
            contentType: this.#pendingBinary ? "binary" : "text",
            body,
            more: !fin,
          };
        }
        // 2. a frame header
        let frame = this.#frame;
        if (frame === null) {
          const avail = data.subarray(pos);
          const h = parseFrameHeader(avail, {
            requireMask: true,
            allowRsv1: this.#decoder !== null,
          });
          if (h === null) return null;
          if (h.opcode >= Opcode.Close) {
            if (this.#msgOpcode !== 0 && h.opcode !== Opcode.Close) {
              throw new WsProtocolError(
                "ping or pong inside a fragmented message",
                CloseCode.ProtocolError,
              );
            }
            const total = h.headerSize + h.payloadLength;
            if (avail.length < total) return null;
            if (h.opcode !== Opcode.Close && h.payloadLength > credits) {
              return null;
            }
            const payload = avail.subarray(h.headerSize, total);
            unmask(payload, h.mask, 0);
            pos += total;
            if (h.opcode === Opcode.Close) {
              const { code, reason } = parseClosePayload(payload);
              return code === undefined
                ? { kind: "close", reason }
                : { kind: "close", code, reason };
            }
            return {
              kind: h.opcode === Opcode.Ping ? "ping" : "pong",
              body: payload,
            };
          }
          if (h.opcode === Opcode.Continuation) {
            if (this.#msgOpcode === 0) {
              throw new WsProtocolError(
                "continuation frame without a message",
                CloseCode.ProtocolError,
              );
            }
          } else {
            if (this.#msgOpcode !== 0) {
              throw new WsProtocolError(
                "new message inside a fragmented message",
                CloseCode.ProtocolError,
              );
            }
            this.#msgOpcode = h.opcode;
            this.#msgCompressed = h.rsv1;
            this.#utf8.reset();
          }
          pos += h.headerSize;
          frame = {
            fin: h.fin,
            mask: h.mask,
            remaining: h.payloadLength,
            offset: 0,
          };
          this.#frame = frame;
        }
        // 3. payload
        const text = this.#msgOpcode === Opcode.Text;
        const avail = Math.min(data.length - pos, frame.remaining);
        if (this.#msgCompressed) {
          if (frame.remaining > 0 && avail === 0) return null;
          const n = Math.min(avail, INFLATE_STEP);
          const chunk = data.subarray(pos, pos + n);
          unmask(chunk, frame.mask, frame.offset);
          pos += n;
          frame.offset += n;
          frame.remaining -= n;
          const end = frame.remaining === 0 && frame.fin;
          if (frame.remaining === 0) this.#frame = null;
          if (n === 0 && !end) continue; // empty non-final fragment
          const out = this.#decoder!.push(chunk, end);
          if (text) this.#checkText(out, end);
          this.#pending = out.length > 0 ? out : EMPTY;
          this.#pendingOff = 0;
          this.#pendingFinal = end;
          this.#pendingBinary = !text;
          if (end) this.#msgOpcode = 0;
          continue;
        }
        if (frame.remaining === 0) {
          this.#frame = null;
          if (!frame.fin) continue; // empty non-final fragments are not forwarded
          if (text) this.#checkText(EMPTY, true);
          this.#msgOpcode = 0;
          return {
            kind: "data",
            contentType: text ? "text" : "binary",
            body: EMPTY,
            more: false,
          };
        }
        if (avail === 0 || credits <= 0) return null;
        const n = Math.min(avail, credits, this.#maxChunk);
        const body = data.subarray(pos, pos + n);
        unmask(body, frame.mask, frame.offset);
        pos += n;
        frame.offset += n;
        frame.remaining -= n;
        const fin = frame.remaining === 0 && frame.fin;
        if (frame.remaining === 0) this.#frame = null;
        if (text) this.#checkText(body, fin);
        if (fin) this.#msgOpcode = 0;
        return {
          kind: "data",
          contentType: text ? "text" : "binary",
          body,
          more: !fin,
        };
      }
    } finally {
      this.#consumed = pos;
    }
  }

  #checkText(bytes: Uint8Array, end: boolean): void {
    const ok = this.#utf8.push(bytes);
    if (!ok || (end && !this.#utf8.end())) {
      throw new WsProtocolError(
        "text message is not valid UTF-8",
        CloseCode.InvalidPayload,
      );
    }
  }

  /** Frees the decoder; idempotent. */
  close(): void {
    this.#decoder?.close();
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
