import { digitCount, putDigits } from "./_digits.ts";
import { putBytes, putInt, putPrefix, putString } from "./put.ts";
import { utf8ByteLength } from "./sizes.ts";
import {
  TYPE_BOOL,
  TYPE_FLOAT,
  TYPE_LIST,
  TYPE_MAP,
  TYPE_NULL,
} from "./frame.ts";
import type { TnetInput } from "./types.ts";

// Space reserved for the length prefix of a container whose size is not given up front:
// three digits and the colon. A container of 100..999 bytes is then finished in place;
// any other size moves its content once (a native memmove) to close or open the gap.
const RESERVED_DIGITS = 3;

/**
 * An append-only tnetstring writer over one growable buffer.
 *
 * Containers are opened with {@linkcode TnetWriter.beginList} / {@linkcode TnetWriter.beginMap}
 * and closed with the matching `end*()`. When the caller knows the container's data length
 * up front (pass it to `begin*()`), the prefix is written immediately and nothing is ever
 * moved; otherwise three digits are reserved and the content is shifted once, only if the
 * final length does not have exactly three digits.
 *
 * `finish()` hands out the bytes written so far and resets the writer. When the writer was
 * created with exactly the right capacity the buffer itself is returned (no copy).
 *
 * Measured (`tests/tnetstring/tnetstring_bench.ts`): the moves of reserved prefixes cost
 * under 10 % on an 8-header list; allocations dominate. Encoders that can size their
 * whole output up front (the ZHTTP encoder does) use the unchecked `put*` functions of
 * this module instead and allocate exactly once.
 *
 * @example
 * ```ts
 * import { TnetWriter } from "./mod.ts";
 * const w = new TnetWriter();
 * w.beginMap().writeString("id").writeString("a").writeString("seq").writeInt(1).endMap();
 * const text = new TextDecoder().decode(w.finish());
 * if (text !== "19:2:id,1:a,3:seq,1:1#}") throw new Error(text);
 * ```
 */
export class TnetWriter {
  #buf: Uint8Array;
  #pos = 0;
  // Per open container: data start, then expected length (-1 when unknown).
  #stack: number[] = [];

  /** @param capacity Initial buffer size in bytes (grows as needed). */
  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#pos;
  }

  /** Ensures room for `n` more bytes. */
  #room(n: number): void {
    const need = this.#pos + n;
    if (need <= this.#buf.length) return;
    let size = Math.max(this.#buf.length * 2, 64);
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  /** Writes `len:` (the caller has ensured room). */
  #prefix(len: number): void {
    this.#pos = putPrefix(this.#buf, this.#pos, len);
  }

  /**
   * Appends raw bytes as they are (e.g. the `T` of a ZHTTP payload or a pre-encoded value).
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * const w = new TnetWriter().writeRaw(new Uint8Array([0x54]));
   * if (w.length !== 1) throw new Error();
   * ```
   */
  writeRaw(bytes: Uint8Array): this {
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
    return this;
  }

  /**
   * Writes a byte string (`,`).
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().writeBytes(new Uint8Array([1, 2]));
   * ```
   */
  writeBytes(bytes: Uint8Array): this {
    this.#room(bytes.length + 20);
    this.#pos = putBytes(this.#buf, this.#pos, bytes);
    return this;
  }

  /**
   * Writes a text as a UTF-8 byte string (`,`). Lone surrogates become U+FFFD.
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().writeString("héllo");
   * ```
   */
  writeString(s: string): this {
    const n = utf8ByteLength(s);
    this.#room(n + 20);
    this.#pos = putString(this.#buf, this.#pos, s, n);
    return this;
  }

  /**
   * Writes an integer (`#`).
   *
   * @throws {RangeError} If `n` is not a safe integer.
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().writeInt(-42);
   * ```
   */
  writeInt(n: number): this {
    if (!Number.isSafeInteger(n)) {
      throw new RangeError(
        `Cannot encode ${n} as a tnetstring integer: not a safe integer`,
      );
    }
    this.#room(40);
    this.#pos = putInt(this.#buf, this.#pos, n);
    return this;
  }

  /**
   * Writes a float (`^`) in JavaScript's shortest round-trip notation.
   *
   * @throws {RangeError} If `n` is NaN or infinite.
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().writeFloat(3.5);
   * ```
   */
  writeFloat(n: number): this {
    if (!Number.isFinite(n)) {
      throw new RangeError(`Cannot encode ${n} as a tnetstring float`);
    }
    const s = String(n);
    this.#room(s.length + 4);
    this.#prefix(s.length);
    for (let i = 0; i < s.length; i++) this.#buf[this.#pos++] = s.charCodeAt(i);
    this.#buf[this.#pos++] = TYPE_FLOAT;
    return this;
  }

  /**
   * Writes a boolean (`4:true!` or `5:false!`).
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().writeBool(true);
   * ```
   */
  writeBool(b: boolean): this {
    return this.writeRaw(b ? TRUE : FALSE);
  }

  /**
   * Writes null (`0:~`).
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().writeNull();
   * ```
   */
  writeNull(): this {
    return this.writeRaw(NULL);
  }

  /**
   * Writes any value; JavaScript strings are written as UTF-8 byte strings, integers
   * as `#`, other numbers as `^`.
   *
   * @throws {RangeError} For unsafe integers, NaN/Infinity, or containers nested deeper than 64.
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().writeValue(new Map([["k", [1, "two", null]]]));
   * ```
   */
  writeValue(value: TnetInput): this {
    this.#value(value, 0);
    return this;
  }

  #value(value: TnetInput, depth: number): void {
    if (typeof value === "string") this.writeString(value);
    else if (typeof value === "number") {
      if (Number.isInteger(value)) this.writeInt(value);
      else this.writeFloat(value);
    } else if (typeof value === "boolean") this.writeBool(value);
    else if (value === null) this.writeNull();
    else if (value instanceof Uint8Array) this.writeBytes(value);
    else {
      if (depth >= 64) {
        throw new RangeError(
          "Cannot encode tnetstring: containers nested deeper than 64 levels",
        );
      }
      if (Array.isArray(value)) {
        this.beginList();
        for (const v of value) this.#value(v, depth + 1);
        this.endList();
      } else {
        this.beginMap();
        for (const [k, v] of value) {
          this.writeString(k);
          this.#value(v, depth + 1);
        }
        this.endMap();
      }
    }
  }

  /**
   * Opens a list; close it with {@linkcode TnetWriter.endList}.
   *
   * @param byteLength The exact length of the list's data, if known (saves a move).
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().beginList(8).writeString("a").writeInt(1).endList(); // "8:1:a,1:1#]"
   * ```
   */
  beginList(byteLength?: number): this {
    return this.#begin(byteLength);
  }

  /**
   * Closes the innermost open list.
   *
   * @throws {RangeError} If no container is open or the known length was wrong.
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().beginList().endList(); // "0:]"
   * ```
   */
  endList(): this {
    return this.#end(TYPE_LIST);
  }

  /**
   * Opens a dict; write keys with `writeString`, then values; close with {@linkcode TnetWriter.endMap}.
   *
   * @param byteLength The exact length of the dict's data, if known (saves a move).
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().beginMap().writeString("k").writeBool(true).endMap();
   * ```
   */
  beginMap(byteLength?: number): this {
    return this.#begin(byteLength);
  }

  /**
   * Closes the innermost open dict.
   *
   * @throws {RangeError} If no container is open or the known length was wrong.
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * new TnetWriter().beginMap().endMap(); // "0:}"
   * ```
   */
  endMap(): this {
    return this.#end(TYPE_MAP);
  }

  #begin(byteLength: number | undefined): this {
    if (byteLength === undefined) {
      this.#room(RESERVED_DIGITS + 1);
      this.#pos += RESERVED_DIGITS + 1;
      this.#stack.push(this.#pos, -1);
    } else {
      this.#room(byteLength + 24);
      this.#prefix(byteLength);
      this.#stack.push(this.#pos, byteLength);
    }
    return this;
  }

  #end(type: number): this {
    const stack = this.#stack;
    if (stack.length === 0) {
      throw new RangeError("Cannot end a tnetstring container: none is open");
    }
    const expected = stack.pop()!;
    let start = stack.pop()!;
    const len = this.#pos - start;
    if (expected >= 0) {
      if (len !== expected) {
        throw new RangeError(
          `Cannot end a tnetstring container: declared ${expected} bytes but wrote ${len}`,
        );
      }
    } else {
      const d = digitCount(len);
      if (d !== RESERVED_DIGITS) {
        const shift = d - RESERVED_DIGITS;
        if (shift > 0) this.#room(shift);
        this.#buf.copyWithin(start + shift, start, this.#pos);
        start += shift;
        this.#pos += shift;
      }
      putDigits(this.#buf, start - 1 - d, len, d);
      this.#buf[start - 1] = 0x3a;
    }
    this.#room(1);
    this.#buf[this.#pos++] = type;
    return this;
  }

  /**
   * Returns everything written and resets the writer for reuse. The result is the
   * internal buffer itself when it is exactly full (then a new buffer is started),
   * otherwise an exact-size copy.
   *
   * @throws {RangeError} If a container is still open.
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * const bytes = new TnetWriter(3).writeNull().finish();
   * if (bytes.length !== 3) throw new Error();
   * ```
   */
  finish(): Uint8Array {
    if (this.#stack.length !== 0) {
      throw new RangeError(
        "Cannot finish a tnetstring: a container is still open",
      );
    }
    let out: Uint8Array;
    if (this.#pos === this.#buf.length) {
      out = this.#buf;
      this.#buf = EMPTY; // grows again on the next write
    } else out = this.#buf.slice(0, this.#pos);
    this.#pos = 0;
    return out;
  }

  /**
   * Discards everything written (keeps the buffer).
   *
   * @example
   * ```ts
   * import { TnetWriter } from "./mod.ts";
   * const w = new TnetWriter().writeInt(1);
   * w.reset();
   * if (w.length !== 0) throw new Error();
   * ```
   */
  reset(): void {
    this.#pos = 0;
    this.#stack.length = 0;
  }
}

const TRUE = new Uint8Array([0x34, 0x3a, 0x74, 0x72, 0x75, 0x65, TYPE_BOOL]);
const FALSE = new Uint8Array([
  0x35,
  0x3a,
  0x66,
  0x61,
  0x6c,
  0x73,
  0x65,
  TYPE_BOOL,
]);
const EMPTY = new Uint8Array(0);
const NULL = new Uint8Array([0x30, 0x3a, TYPE_NULL]);
