/**
 * A stream-mode session's read buffer: unread bytes `start`..`end` in either the connection's
 * small idle slot or a full buffer borrowed from the worker's {@linkcode ReadPool}, moving
 * between the two as bytes wait or drain.
 *
 * @module
 */

import type { ReadPool } from "./read_pool.ts";

const EMPTY = new Uint8Array(0);

/** Where a {@linkcode ReadBuffer} starts. */
export interface ReadBufferOptions {
  /** The connection's idle slot (from the pool), if it has one. */
  slot: Uint8Array | null;
  /** The current buffer: the slot, or a pooled full buffer now owned by the read buffer. */
  buffer: Uint8Array;
  /** Start of the unread bytes. */
  start: number;
  /** End of the unread bytes. */
  end: number;
}

/**
 * Unread client bytes in a slot or a pooled buffer.
 *
 * @example
 * ```ts
 * import { ReadBuffer } from "./read_buffer.ts";
 * import { ReadPool } from "./read_pool.ts";
 * const pool = new ReadPool({ bufferSize: 1024, slotSize: 4 });
 * const slot = pool.takeSlot();
 * const rb = new ReadBuffer(pool, { slot, buffer: slot, start: 0, end: 0 });
 * rb.target(true).set([1, 2, 3, 4]);
 * rb.end += 4; // the slot is full: the next target is a pooled buffer
 * if (rb.target(true).length !== 1020 || rb.onSlot) throw new Error();
 * rb.release();
 * ```
 */
export class ReadBuffer {
  readonly #pool: ReadPool;
  readonly #slot: Uint8Array | null;
  #buf: Uint8Array;
  #released = false;
  /** Start of the unread bytes in {@linkcode buffer}. */
  start: number;
  /** End of the unread bytes in {@linkcode buffer}. */
  end: number;

  /** Takes over `options.buffer` (and the slot) from the connection. */
  constructor(pool: ReadPool, options: ReadBufferOptions) {
    this.#pool = pool;
    this.#slot = options.slot;
    this.#buf = options.buffer;
    this.start = options.start;
    this.end = options.end;
  }

  /** The current buffer (the slot or a pooled buffer). */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** The idle slot, if any. */
  get slot(): Uint8Array | null {
    return this.#slot;
  }

  /** The pool the buffers come from. */
  get pool(): ReadPool {
    return this.#pool;
  }

  /** Whether the current buffer is the idle slot. */
  get onSlot(): boolean {
    return this.#buf === this.#slot;
  }

  /** The unread bytes (a view). */
  unread(): Uint8Array {
    return this.#buf.subarray(this.start, this.end);
  }

  /**
   * The free part of the buffer, for the next read. Only here do bytes move and buffers change
   * (no read is in flight during the call): drained and `idle`, the target is the slot again
   * (a pooled buffer goes back); a full slot is moved into a pooled full buffer; a full pooled
   * buffer is compacted.
   */
  target(idle: boolean): Uint8Array {
    const slot = this.#slot;
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (slot !== null && this.#buf !== slot && idle && !this.#released) {
        this.#pool.give(this.#buf);
        this.#buf = slot;
      }
    } else if (this.end === this.#buf.length) {
      if (this.#buf === slot) {
        const full = this.#pool.take();
        full.set(slot.subarray(this.start, this.end));
        this.#buf = full;
        this.end -= this.start;
        this.start = 0;
      } else if (this.start > 0) {
        this.#buf.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
    }
    // an idle connection's pending read targets the slot itself (no view per read)
    return this.end === 0 ? this.#buf : this.#buf.subarray(this.end);
  }

  /** No read targets the buffers any more: they go back to the pool (once; no-op without a slot). */
  release(): void {
    if (this.#released || this.#slot === null) return;
    this.#released = true;
    if (this.#buf !== this.#slot) this.#pool.give(this.#buf);
    this.#pool.giveSlot(this.#slot);
    this.#buf = EMPTY;
  }
}
