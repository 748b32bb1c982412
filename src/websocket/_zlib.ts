// Private: synchronous raw-deflate engines over `node:zlib` for permessage-deflate.
//
// Context takeover needs a deflate/inflate stream that lives across messages, but `node:zlib`
// offers that only through asynchronous streams; its one-shot `*Sync` functions start afresh
// each call, and Deno's ignore the `dictionary` option for raw deflate. The fast engines here
// therefore drive the native handle of a `createDeflateRaw()`/`createInflateRaw()` stream
// synchronously, as `node:zlib`'s own `*Sync` functions do (`_handle.writeSync()` with the
// `_writeState` result array and an `onerror` callback): private but long-stable API, the
// same in Node and Deno. When it is missing, the portable engines use public API only:
// the deflater compresses every chunk as an independent stream (never referring to earlier
// messages, which is always allowed), and the inflater buffers a message and inflates it in
// one go, prefixed by a stored block holding the last 32 KiB of history so back-references
// into earlier messages resolve.

import zlib from "node:zlib";

const { Z_SYNC_FLUSH } = zlib.constants;

/** Deflate window size for 15 window bits. */
export const WINDOW_SIZE = 32768;

const EMPTY = new Uint8Array(0);
/** The tail RFC 7692 §7.2.2 appends to a message before inflating it. */
export const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

interface NativeHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): unknown;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number) => void;
}

interface StreamInternals {
  _handle?: unknown;
  _writeState?: unknown;
}

/** Output scratch shared by all engines: every call is synchronous, so no two overlap. */
const SCRATCH_SIZE = 65536;
let scratch = new Uint8Array(SCRATCH_SIZE);

/** Thrown by engines when the inflated output passes the limit. */
export class OutputLimitError extends Error {}

/** Thrown by engines for corrupt compressed data. */
export class DataError extends Error {}

/** A raw deflate compressor. */
export interface Deflater {
  /** Compresses `input` (non-empty) and sync-flushes: the output ends with 00 00 ff ff. */
  compress(input: Uint8Array): Uint8Array;
  /** Forgets the history (no context takeover). */
  reset(): void;
  close(): void;
}

/** A raw deflate decompressor fed one message at a time. */
export interface Inflater {
  /**
   * Feeds the next compressed chunk of a message; at `fin` the message is complete (the engine
   * appends {@linkcode TAIL}). Returns the output so far; throws {@linkcode OutputLimitError}
   * when the message's output would exceed `limit` bytes, {@linkcode DataError} when corrupt.
   */
  write(chunk: Uint8Array, fin: boolean, limit: number): Uint8Array;
  /** Forgets the history and any partial message. */
  reset(): void;
  close(): void;
}

function openNative(
  stream: StreamInternals,
): { handle: NativeHandle; state: Uint32Array } | null {
  const handle = stream._handle as Partial<NativeHandle> | null | undefined;
  const state = stream._writeState;
  if (
    handle === null || typeof handle !== "object" ||
    typeof handle.writeSync !== "function" ||
    typeof handle.reset !== "function" || typeof handle.close !== "function" ||
    !(state instanceof Uint32Array) || state.length < 2
  ) {
    return null;
  }
  return { handle: handle as NativeHandle, state };
}

/** Collects copies of output pieces; `total` may start at a carried-over count. */
class Collector {
  parts: Uint8Array[] = [];
  total = 0;
  add(piece: Uint8Array): void {
    this.parts.push(piece.slice());
    this.total += piece.length;
  }
  join(): Uint8Array {
    const n = this.parts.length;
    if (n === 0) return EMPTY;
    if (n === 1) return this.parts[0]!;
    let size = 0;
    for (const p of this.parts) size += p.length;
    const out = new Uint8Array(size);
    let pos = 0;
    for (const p of this.parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }
}

/** Base of the native engines: runs the handle until input is consumed and output drained. */
class NativeEngine {
  #handle: NativeHandle;
  #state: Uint32Array;
  #error: string | null = null;
  #closed = false;

  constructor(handle: NativeHandle, state: Uint32Array) {
    this.#handle = handle;
    this.#state = state;
    handle.onerror = (message: string) => {
      this.#error = message;
    };
  }

  /**
   * Runs `input` through the stream with Z_SYNC_FLUSH, adding output to `sink` (at most
   * `limit` bytes in total, else {@linkcode OutputLimitError}). Returns the number of input
   * bytes left unconsumed, non-zero only when an inflate stream reached its end (BFINAL).
   */
  run(input: Uint8Array, sink: Collector, limit: number): number {
    if (this.#closed) throw new TypeError("Cannot use a closed deflate engine");
    let inOff = 0;
    let inLen = input.length;
    for (;;) {
      const room = Math.min(scratch.length, limit - sink.total + 1);
      this.#handle.writeSync(
        Z_SYNC_FLUSH,
        input,
        inOff,
        inLen,
        scratch,
        0,
        room,
      );
      if (this.#error !== null) {
        const message = this.#error;
        this.#error = null;
        throw new DataError(message);
      }
      const availOut = this.#state[0]!;
      const availIn = this.#state[1]!;
      const produced = room - availOut;
      if (produced > 0) {
        if (sink.total + produced > limit) throw new OutputLimitError();
        sink.add(scratch.subarray(0, produced));
      }
      inOff += inLen - availIn;
      inLen = availIn;
      if (availOut !== 0) return inLen;
      if (room === scratch.length && scratch.length < 1 << 20) {
        scratch = new Uint8Array(scratch.length * 2); // big output: fewer rounds next time
      }
    }
  }

  reset(): void {
    if (!this.#closed) this.#handle.reset();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle.close();
  }
}

class NativeDeflater implements Deflater {
  #engine: NativeEngine;
  constructor(engine: NativeEngine) {
    this.#engine = engine;
  }
  compress(input: Uint8Array): Uint8Array {
    const sink = new Collector();
    this.#engine.run(input, sink, Number.MAX_SAFE_INTEGER);
    return sink.join();
  }
  reset(): void {
    this.#engine.reset();
  }
  close(): void {
    this.#engine.close();
  }
}

class NativeInflater implements Inflater {
  #engine: NativeEngine;
  #produced = 0;
  #ended = false;
  constructor(engine: NativeEngine) {
    this.#engine = engine;
  }
  write(chunk: Uint8Array, fin: boolean, limit: number): Uint8Array {
    const sink = new Collector();
    sink.total = this.#produced; // the message's earlier output counts against the limit
    try {
      this.#feed(chunk, sink, limit, false);
      if (fin) this.#feed(TAIL, sink, limit, true);
    } catch (e) {
      this.reset();
      throw e;
    }
    if (fin) {
      this.#produced = 0;
      if (this.#ended) {
        // The peer ended its deflate stream (BFINAL): its next message starts a new one.
        this.#ended = false;
        this.#engine.reset();
      }
    } else {
      this.#produced = sink.total;
    }
    return sink.join();
  }

  #feed(
    input: Uint8Array,
    sink: Collector,
    limit: number,
    isTail: boolean,
  ): void {
    if (input.length === 0) return;
    if (this.#ended) {
      if (isTail) return;
      throw new DataError("data after the final deflate block");
    }
    const left = this.#engine.run(input, sink, limit);
    if (left > 0) {
      // Only our own tail may follow a final (BFINAL) block.
      this.#ended = true;
      if (!isTail) throw new DataError("data after the final deflate block");
    }
  }

  reset(): void {
    this.#produced = 0;
    this.#ended = false;
    this.#engine.reset();
  }
  close(): void {
    this.#engine.close();
  }
}

/** A plain `Uint8Array` view of a `Buffer`, so callers never see Buffer's methods. */
function asUint8Array(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

class PortableDeflater implements Deflater {
  #level: number;
  constructor(level: number) {
    this.#level = level;
  }
  compress(input: Uint8Array): Uint8Array {
    return asUint8Array(zlib.deflateRawSync(input, {
      finishFlush: Z_SYNC_FLUSH,
      windowBits: 15,
      level: this.#level,
    }));
  }
  reset(): void {}
  close(): void {}
}

class PortableInflater implements Inflater {
  #keepHistory: boolean;
  #history: Uint8Array = EMPTY;
  #pending: Uint8Array[] = [];
  #pendingSize = 0;

  constructor(keepHistory: boolean) {
    this.#keepHistory = keepHistory;
  }

  write(chunk: Uint8Array, fin: boolean, limit: number): Uint8Array {
    if (chunk.length > 0) {
      this.#pending.push(chunk.slice());
      this.#pendingSize += chunk.length;
    }
    if (!fin) return EMPTY;
    const h = this.#history;
    const prefix = h.length > 0 ? 5 + h.length : 0;
    const input = new Uint8Array(prefix + this.#pendingSize + TAIL.length);
    if (prefix > 0) {
      // A non-final stored block carrying the history, so it is in the window.
      input[0] = 0;
      input[1] = h.length & 0xff;
      input[2] = h.length >>> 8;
      input[3] = ~h.length & 0xff;
      input[4] = (~h.length >>> 8) & 0xff;
      input.set(h, 5);
    }
    let pos = prefix;
    for (const p of this.#pending) {
      input.set(p, pos);
      pos += p.length;
    }
    input.set(TAIL, pos);
    this.#pending = [];
    this.#pendingSize = 0;
    let out: Uint8Array;
    try {
      const result = zlib.inflateRawSync(input, {
        finishFlush: Z_SYNC_FLUSH,
        windowBits: 15,
        maxOutputLength: h.length + limit,
        info: true,
      } as zlib.ZlibOptions) as unknown as {
        buffer: Uint8Array;
        engine: { bytesWritten: number };
      };
      // Input left over means the stream ended (BFINAL): only our tail may follow it.
      if (result.engine.bytesWritten < input.length - TAIL.length) {
        throw new DataError("data after the final deflate block");
      }
      out = asUint8Array(result.buffer);
    } catch (e) {
      this.#history = EMPTY;
      if (e instanceof DataError) throw e;
      if (e instanceof RangeError) throw new OutputLimitError();
      throw new DataError(e instanceof Error ? e.message : String(e));
    }
    if (this.#keepHistory) {
      this.#history = out.length > WINDOW_SIZE
        ? out.slice(out.length - WINDOW_SIZE)
        : out;
    }
    return out.subarray(h.length);
  }

  reset(): void {
    this.#history = EMPTY;
    this.#pending = [];
    this.#pendingSize = 0;
  }

  close(): void {
    this.reset();
  }
}

/** Options shared by the engine factories. */
export interface EngineOptions {
  /** Use only public `node:zlib` API (see the file comment). */
  portable: boolean;
}

/** A deflater at `level`, native when possible. */
export function openDeflater(level: number, options: EngineOptions): Deflater {
  if (!options.portable) {
    const stream = zlib.createDeflateRaw({
      windowBits: 15,
      level,
      memLevel: 8,
    });
    const native = openNative(stream as unknown as StreamInternals);
    if (native !== null) {
      return new NativeDeflater(new NativeEngine(native.handle, native.state));
    }
  }
  return new PortableDeflater(level);
}

/** An inflater, native when possible; `keepHistory` false = the peer uses no context takeover. */
export function openInflater(
  keepHistory: boolean,
  options: EngineOptions,
): Inflater {
  if (!options.portable) {
    const stream = zlib.createInflateRaw({ windowBits: 15 });
    const native = openNative(stream as unknown as StreamInternals);
    if (native !== null) {
      return new NativeInflater(new NativeEngine(native.handle, native.state));
    }
  }
  return new PortableInflater(keepHistory);
}
