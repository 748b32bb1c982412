/**
 * permessage-deflate (RFC 7692) message compression and decompression, synchronous.
 *
 * How: `node:zlib`'s public synchronous functions cannot keep a deflate window between
 * messages (and Deno's ignore `dictionary` for raw deflate), and its streams are asynchronous.
 * So by default each encoder/decoder owns one raw-deflate stream of `node:zlib` and drives its
 * native handle synchronously, as `node:zlib`'s own `*Sync` functions do internally: context
 * takeover works, one call per chunk, about 1 µs for a small message. If that private
 * handle is ever missing (or with `portable: true`) the portable engines take over, using
 * public API only: the encoder then compresses every chunk as an independent stream (it never
 * refers to earlier messages, which is always allowed, at some cost in ratio), and the decoder
 * buffers each message and inflates it prefixed by a stored block of the last 32 KiB of
 * output, so the peer's back-references into earlier messages still resolve.
 *
 * Window bits are 15 both ways (negotiation declines smaller server windows; a client's smaller
 * window needs nothing from the decoder).
 *
 * @module
 */

import { CloseCode, WsProtocolError } from "./error.ts";
import {
  type Deflater,
  type Inflater,
  openDeflater,
  openInflater,
  OutputLimitError,
} from "./_zlib.ts";

const EMPTY = new Uint8Array(0);
/** Compressed form of an empty message (RFC 7692 §7.2.3.6): one empty stored block's header. */
const EMPTY_MESSAGE = new Uint8Array([0x00]);

/** Options of {@linkcode DeflateEncoder}. */
export interface DeflateEncoderOptions {
  /** Reset the compressor after every message (`server_no_context_takeover` negotiated). */
  noContextTakeover: boolean;
  /** zlib level 0-9 (default 6). */
  level?: number;
  /** Use only public `node:zlib` API (no context takeover; see the module doc). */
  portable?: boolean;
}

/**
 * Compresses outgoing messages for permessage-deflate. Feed each message's data in order with
 * {@linkcode DeflateEncoder.push}; send each returned chunk as the payload of one frame (RSV1
 * set on the message's first frame only). Every chunk is sync-flushed so that it can be sent
 * at once; the final chunk's trailing `00 00 ff ff` is removed as RFC 7692 §7.2.1 requires
 * (the encoder holds back the last 4 bytes of each chunk until it knows whether the message
 * ends). Not thread-safe and not re-entrant; call {@linkcode DeflateEncoder.close} when done.
 *
 * @example
 * ```ts
 * import { DeflateEncoder } from "./mod.ts";
 * using enc = new DeflateEncoder({ noContextTakeover: false });
 * const payload = enc.push(new TextEncoder().encode("Hello"), true);
 * console.log(payload); // Uint8Array(7) [ 242, 72, 205, 201, 201, 7, 0 ]
 * ```
 */
export class DeflateEncoder implements Disposable {
  #deflater: Deflater;
  #closed = false;
  #noContextTakeover: boolean;
  /** A sync-flush trailer (00 00 ff ff) withheld from the previous chunk of this message. */
  #trailerHeld = false;
  /** Whether any byte of the current message was returned yet. */
  #started = false;

  /**
   * Creates an encoder with a fresh window.
   *
   * @example
   * ```ts
   * import { DeflateEncoder } from "./mod.ts";
   * const enc = new DeflateEncoder({ noContextTakeover: true, level: 1 });
   * enc.close();
   * ```
   */
  constructor(options: DeflateEncoderOptions) {
    const level = options.level ?? 6;
    if (!Number.isInteger(level) || level < 0 || level > 9) {
      throw new RangeError(
        `Cannot create deflate encoder: invalid level ${level}`,
      );
    }
    this.#noContextTakeover = options.noContextTakeover;
    this.#deflater = openDeflater(level, {
      portable: options.portable === true,
    });
  }

  /**
   * Compresses the next `chunk` of the current message and returns the bytes to send now
   * (possibly empty before the end). `fin` ends the message: the result is then the last
   * frame's payload, and with no context takeover the window is reset. An empty message
   * compresses to the single byte `00`.
   *
   * @example
   * ```ts
   * import { DeflateEncoder } from "./mod.ts";
   * using enc = new DeflateEncoder({ noContextTakeover: true });
   * const first = enc.push(new TextEncoder().encode("Hel"), false);
   * const last = enc.push(new TextEncoder().encode("lo"), true);
   * console.log(first.length > 0, last.length > 0); // true true
   * ```
   */
  push(chunk: Uint8Array, fin: boolean): Uint8Array {
    if (this.#closed) {
      throw new TypeError("Cannot compress: the encoder is closed");
    }
    let out: Uint8Array = EMPTY;
    if (chunk.length > 0) {
      const body = this.#deflater.compress(chunk);
      const n = body.length;
      if (
        n < 4 || body[n - 4] !== 0x00 || body[n - 3] !== 0x00 ||
        body[n - 2] !== 0xff ||
        body[n - 1] !== 0xff
      ) {
        throw new Error(
          "Cannot compress message: zlib output lacks the sync-flush trailer",
        );
      }
      if (this.#trailerHeld) {
        // Send the previously withheld trailer before this chunk's data: shift by 4.
        out = new Uint8Array(n);
        out.set(body.subarray(0, n - 4), 4);
        out[2] = 0xff;
        out[3] = 0xff;
      } else {
        out = body.subarray(0, n - 4);
      }
      this.#trailerHeld = true;
    }
    if (fin) {
      if (!this.#started && out.length === 0) out = EMPTY_MESSAGE.slice();
      this.#trailerHeld = false; // dropped: the receiver appends it back
      this.#started = false;
      if (this.#noContextTakeover) this.#deflater.reset();
    } else if (out.length > 0) {
      this.#started = true;
    }
    return out;
  }

  /**
   * Abandons the current message (e.g. the connection failed mid-message) and starts afresh
   * with an empty window, which is always safe for the peer.
   *
   * @example
   * ```ts
   * import { DeflateEncoder } from "./mod.ts";
   * using enc = new DeflateEncoder({ noContextTakeover: false });
   * enc.reset();
   * ```
   */
  reset(): void {
    this.#trailerHeld = false;
    this.#started = false;
    this.#deflater.reset();
  }

  /**
   * Frees the native stream; idempotent. Later `push()` calls throw.
   *
   * @example
   * ```ts
   * import { DeflateEncoder } from "./mod.ts";
   * const enc = new DeflateEncoder({ noContextTakeover: false });
   * enc.close();
   * enc.close();
   * ```
   */
  close(): void {
    this.#closed = true;
    this.#deflater.close();
  }

  /** Same as {@linkcode DeflateEncoder.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Options of {@linkcode DeflateDecoder}. */
export interface DeflateDecoderOptions {
  /** The peer resets its compressor per message (`client_no_context_takeover` negotiated). */
  noContextTakeover: boolean;
  /** Maximum inflated size of one message in bytes; beyond it `push()` throws 1009. */
  maxMessageSize: number;
  /** Use only public `node:zlib` API (buffers each message; see the module doc). */
  portable?: boolean;
}

/**
 * Inflates incoming compressed messages (frames with RSV1 on the first frame). Feed each
 * frame's unmasked payload in order with {@linkcode DeflateDecoder.push}, `fin` on the
 * message's last frame. Protects against decompression bombs with a per-message output limit.
 *
 * @example
 * ```ts
 * import { DeflateDecoder } from "./mod.ts";
 * using dec = new DeflateDecoder({ noContextTakeover: false, maxMessageSize: 1 << 20 });
 * const out = dec.push(new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), true);
 * console.log(new TextDecoder().decode(out)); // Hello
 * ```
 */
export class DeflateDecoder implements Disposable {
  #inflater: Inflater;
  #maxMessageSize: number;
  #noContextTakeover: boolean;
  #closed = false;

  /**
   * Creates a decoder with a fresh window.
   *
   * @example
   * ```ts
   * import { DeflateDecoder } from "./mod.ts";
   * const dec = new DeflateDecoder({ noContextTakeover: true, maxMessageSize: 65536 });
   * dec.close();
   * ```
   */
  constructor(options: DeflateDecoderOptions) {
    const max = options.maxMessageSize;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new RangeError(
        `Cannot create deflate decoder: invalid maxMessageSize ${max}`,
      );
    }
    this.#maxMessageSize = max;
    this.#noContextTakeover = options.noContextTakeover;
    this.#inflater = openInflater(!options.noContextTakeover, {
      portable: options.portable === true,
    });
  }

  /**
   * Inflates the next frame payload of the current message; at `fin` the message ends.
   * Returns the output available now (the portable engine returns everything at `fin`).
   * Throws {@linkcode WsProtocolError} with 1009 when the message inflates beyond
   * `maxMessageSize`, 1007 when the data is not valid deflate data; the decoder is reset then,
   * and the connection should be failed.
   *
   * @example
   * ```ts
   * import { DeflateDecoder } from "./mod.ts";
   * using dec = new DeflateDecoder({ noContextTakeover: false, maxMessageSize: 100 });
   * const a = dec.push(new Uint8Array([0xf2, 0x48, 0xcd]), false);
   * const b = dec.push(new Uint8Array([0xc9, 0xc9, 0x07, 0x00]), true);
   * console.log(a.length + b.length); // 5
   * ```
   */
  push(chunk: Uint8Array, fin: boolean): Uint8Array {
    if (this.#closed) {
      throw new TypeError("Cannot inflate: the decoder is closed");
    }
    try {
      const out = this.#inflater.write(chunk, fin, this.#maxMessageSize);
      if (fin && this.#noContextTakeover) this.#inflater.reset();
      return out;
    } catch (e) {
      this.#inflater.reset();
      if (e instanceof OutputLimitError) {
        throw new WsProtocolError(
          `Cannot inflate message: larger than ${this.#maxMessageSize} bytes`,
          CloseCode.MessageTooBig,
        );
      }
      const why = e instanceof Error ? e.message : String(e);
      throw new WsProtocolError(
        `Cannot inflate message: ${why}`,
        CloseCode.InvalidPayload,
      );
    }
  }

  /**
   * Forgets the window and any partial message.
   *
   * @example
   * ```ts
   * import { DeflateDecoder } from "./mod.ts";
   * using dec = new DeflateDecoder({ noContextTakeover: false, maxMessageSize: 100 });
   * dec.reset();
   * ```
   */
  reset(): void {
    this.#inflater.reset();
  }

  /**
   * Frees the native stream; idempotent. Later `push()` calls throw.
   *
   * @example
   * ```ts
   * import { DeflateDecoder } from "./mod.ts";
   * const dec = new DeflateDecoder({ noContextTakeover: false, maxMessageSize: 100 });
   * dec.close();
   * ```
   */
  close(): void {
    this.#closed = true;
    this.#inflater.close();
  }

  /** Same as {@linkcode DeflateDecoder.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
