import { CR, FIELD_VALUE, HTAB, LF, SP } from "./_bytes.ts";
import { HttpError } from "./error.ts";

/** Longest chunk-size line accepted (size, extensions, CRLF), in bytes. */
export const CHUNK_LINE_MAX = 4096;

/** Largest trailer section accepted (all trailer lines and the final CRLF), in bytes. */
export const TRAILER_SECTION_MAX = 8192;

/** What one {@linkcode ChunkedDecoder.decode} call produced. */
export interface ChunkedDecodeResult {
  /** Input bytes used (framing and data); the caller drops them from its buffer. */
  consumed: number;
  /** Body bytes: a view into the input (empty if none), at most `maxBytes` long. */
  data: Uint8Array;
  /** The body is complete (last chunk and trailers read); later input is the next request. */
  done: boolean;
}

const SIZE_START = 0;
const SIZE = 1;
const SIZE_WS = 2;
const EXT = 3;
const SIZE_LF = 4;
const DATA = 5;
const DATA_CR = 6;
const DATA_LF = 7;
const TRAILER_START = 8;
const TRAILER_LINE = 9;
const TRAILER_LF = 10;
const END_LF = 11;
const DONE = 12;

const EMPTY: Uint8Array = new Uint8Array(0);
const SIZE_LIMIT = Math.floor(Number.MAX_SAFE_INTEGER / 16);

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function bad(what: string): HttpError {
  return new HttpError(400, `Failed to parse request: invalid chunk ${what}`);
}

/**
 * Incremental decoder of a chunked request body (RFC 9112 §7.1). Feed it whatever input is
 * buffered; each call consumes framing greedily and returns at most one contiguous run of
 * body bytes as a view into the input, stopping before the next chunk's data once it has
 * returned some (call again with the rest) or when `maxBytes` body bytes were returned.
 * Chunk extensions and trailer fields are checked for bad bytes and dropped. Malformed
 * framing throws {@linkcode HttpError} with status 400.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkedDecoder } from "./chunked_decoder.ts";
 * const d = new ChunkedDecoder();
 * const input = new TextEncoder().encode("5\r\nhello\r\n0\r\n\r\nGET");
 * const r = d.decode(input);
 * assert(new TextDecoder().decode(r.data) === "hello");
 * assert(r.done && r.consumed === input.length - 3);
 * ```
 */
export class ChunkedDecoder {
  #state = SIZE_START;
  #remaining = 0;
  #lineSize = 0;
  #trailerSize = 0;

  /** Whether the whole body (last chunk and trailers) has been decoded. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /**
   * Decodes from the start of `input`, returning at most `maxBytes` body bytes (default:
   * no limit; 0 consumes framing only). After `done`, consumes nothing.
   */
  decode(input: Uint8Array, maxBytes: number = Infinity): ChunkedDecodeResult {
    const n = input.length;
    let i = 0;
    let data: Uint8Array = EMPTY;
    let state = this.#state;
    while (i < n && state !== DONE) {
      if (state === DATA) {
        if (data.length > 0 || maxBytes <= 0) break;
        let take = this.#remaining;
        if (n - i < take) take = n - i;
        if (maxBytes < take) take = maxBytes;
        data = input.subarray(i, i + take);
        i += take;
        this.#remaining -= take;
        if (this.#remaining === 0) state = DATA_CR;
        continue;
      }
      const b = input[i++]!;
      const s = state;
      switch (s) {
        case SIZE_START: {
          const h = hexValue(b);
          if (h === -1) throw bad("size");
          this.#remaining = h;
          state = SIZE;
          break;
        }
        case SIZE: {
          const h = hexValue(b);
          if (h !== -1) {
            if (this.#remaining > SIZE_LIMIT) throw bad("size");
            this.#remaining = this.#remaining * 16 + h;
          } else if (b === CR) state = SIZE_LF;
          else if (b === 0x3b) state = EXT;
          else if (b === SP || b === HTAB) state = SIZE_WS;
          else throw bad("size");
          break;
        }
        case SIZE_WS:
          if (b === CR) state = SIZE_LF;
          else if (b === 0x3b) state = EXT;
          else if (b !== SP && b !== HTAB) throw bad("size");
          break;
        case EXT:
          if (b === CR) state = SIZE_LF;
          else if (FIELD_VALUE[b] !== 1) throw bad("extension");
          break;
        case SIZE_LF:
          if (b !== LF) throw bad("size line ending");
          state = this.#remaining === 0 ? TRAILER_START : DATA;
          break;
        case DATA_CR:
          if (b !== CR) throw bad("data ending");
          state = DATA_LF;
          break;
        case DATA_LF:
          if (b !== LF) throw bad("data ending");
          state = SIZE_START;
          this.#lineSize = 0;
          break;
        case TRAILER_START:
          if (b === CR) state = END_LF;
          else if (FIELD_VALUE[b] === 1) state = TRAILER_LINE;
          else throw bad("trailer");
          break;
        case TRAILER_LINE:
          if (b === CR) state = TRAILER_LF;
          else if (FIELD_VALUE[b] !== 1) throw bad("trailer");
          break;
        case TRAILER_LF:
          if (b !== LF) throw bad("trailer");
          state = TRAILER_START;
          break;
        case END_LF:
          if (b !== LF) throw bad("trailer");
          state = DONE;
          break;
      }
      if (s <= SIZE_LF && ++this.#lineSize > CHUNK_LINE_MAX) {
        throw bad("size line: longer than " + CHUNK_LINE_MAX + " bytes");
      }
      if (s >= TRAILER_START && ++this.#trailerSize > TRAILER_SECTION_MAX) {
        throw bad("trailers: longer than " + TRAILER_SECTION_MAX + " bytes");
      }
    }
    this.#state = state;
    return { consumed: i, data, done: state === DONE };
  }
}
