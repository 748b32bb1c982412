/**
 * Read buffers shared by the connections of one worker, so that an idle connection does not
 * pin a `--buffer-size` buffer. An idle connection still needs a pending read (to notice its
 * next request or its EOF), and that read needs a target of its own: a small *slot*, a view
 * into a shared slab. When bytes arrive and need more room the connection borrows a full-size
 * buffer from the pool, copies the few bytes over and reads on; once everything it read is
 * consumed, it gives the buffer back and reads into its slot again.
 *
 * @module
 */

/** Default size of an idle slot: holds a small request head whole. */
export const SLOT_SIZE_DEFAULT = 256;
/** Bytes of one slab (many slots). */
const SLAB_BYTES = 64 * 1024;
/** Full-size buffers kept for reuse, at most. */
const KEEP_DEFAULT = 1024;

/** Options of {@linkcode ReadPool}. */
export interface ReadPoolOptions {
  /** Size of a full buffer (`--buffer-size`). */
  bufferSize: number;
  /** Size of an idle slot (default {@linkcode SLOT_SIZE_DEFAULT}, at most `bufferSize`). */
  slotSize?: number;
  /** Free full buffers kept for reuse (default 1024); more are left to the GC. */
  keep?: number;
}

/**
 * Full-size read buffers and small idle slots for one worker.
 *
 * @example
 * ```ts
 * import { ReadPool } from "./read_pool.ts";
 * const pool = new ReadPool({ bufferSize: 8192 });
 * const slot = pool.takeSlot(); // 256 bytes: the target of an idle connection's read
 * const buf = pool.take(); // 8192 bytes while a request is in flight
 * buf.set(slot.subarray(0, 10));
 * pool.give(buf);
 * pool.giveSlot(slot);
 * if (pool.take() !== buf) throw new Error("not reused");
 * ```
 */
export class ReadPool {
  /** Size of a full buffer. */
  readonly bufferSize: number;
  /** Size of an idle slot. */
  readonly slotSize: number;
  readonly #keep: number;
  readonly #free: Uint8Array[] = [];
  readonly #freeSlots: Uint8Array[] = [];
  #slab: ArrayBuffer | null = null;
  #slabUsed = 0;
  #buffersOut = 0;
  #slotsOut = 0;

  /** Creates an empty pool. */
  constructor(options: ReadPoolOptions) {
    if (!Number.isInteger(options.bufferSize) || options.bufferSize < 1) {
      throw new RangeError(
        `Cannot create a read pool: bufferSize must be a positive integer, got ${options.bufferSize}`,
      );
    }
    this.bufferSize = options.bufferSize;
    this.slotSize = Math.max(
      1,
      Math.min(options.slotSize ?? SLOT_SIZE_DEFAULT, options.bufferSize),
    );
    this.#keep = options.keep ?? KEEP_DEFAULT;
  }

  /** A full-size buffer, reused when one is free. */
  take(): Uint8Array {
    this.#buffersOut++;
    return this.#free.pop() ?? new Uint8Array(this.bufferSize);
  }

  /** Returns a buffer from {@linkcode take}; no read may still target it. */
  give(buffer: Uint8Array): void {
    this.#buffersOut--;
    if (this.#free.length < this.#keep) this.#free.push(buffer);
  }

  /** A small slot of its own for an idle connection's pending read. */
  takeSlot(): Uint8Array {
    this.#slotsOut++;
    const free = this.#freeSlots.pop();
    if (free !== undefined) return free;
    const size = this.slotSize;
    if (this.#slab === null || this.#slabUsed + size > this.#slab.byteLength) {
      this.#slab = new ArrayBuffer(Math.max(SLAB_BYTES, size));
      this.#slabUsed = 0;
    }
    const slot = new Uint8Array(this.#slab, this.#slabUsed, size);
    this.#slabUsed += size;
    return slot;
  }

  /** Returns a slot from {@linkcode takeSlot}; no read may still target it. */
  giveSlot(slot: Uint8Array): void {
    this.#slotsOut--;
    this.#freeSlots.push(slot);
  }

  /** Buffers and slots currently lent out, and free buffers kept. */
  get stats(): { buffersOut: number; buffersFree: number; slotsOut: number } {
    return {
      buffersOut: this.#buffersOut,
      buffersFree: this.#free.length,
      slotsOut: this.#slotsOut,
    };
  }

  static readonly #shared = new Map<string, ReadPool>();

  /**
   * A pool shared by everything in this isolate that uses the same sizes (for sessions made
   * without an explicit pool, as in tests).
   */
  static shared(bufferSize: number, slotSize = SLOT_SIZE_DEFAULT): ReadPool {
    const key = `${bufferSize}/${slotSize}`;
    let pool = ReadPool.#shared.get(key);
    if (pool === undefined) {
      pool = new ReadPool({ bufferSize, slotSize });
      ReadPool.#shared.set(key, pool);
    }
    return pool;
  }
}
