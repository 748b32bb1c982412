/**
 * A reusable `zmq_pollitem_t` array and the nonblocking (helper-thread)
 * `zmq_poll` call over it.
 *
 * @module
 */

import {
  MSG_SIZE,
  POLLITEM_EVENTS,
  POLLITEM_REVENTS,
  POLLITEM_SIZE,
  zmq,
} from "./_ffi.ts";
import { lastError } from "./error.ts";
import { kHandleValue, kPollEnter, kPollLeave } from "./_internal.ts";
import type { ZmqSocket } from "./socket.ts";

// Larger than libzmq's inline ("very small message") capacity, so the
// message content is always a separate malloc'd block.
const MIN_NATIVE_SIZE = 64;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Poll items built with {@linkcode add} and waited on with {@linkcode wait}.
 * While `wait` is in flight the sockets are marked busy: any other use of
 * them from this isolate throws instead of racing the poll thread.
 */
export class Poller {
  #capacity = 0;
  #view!: DataView;
  #pointer!: Deno.PointerObject;
  #buffer!: Uint8Array;
  readonly #sockets: (ZmqSocket | null)[] = [];
  #count = 0;
  #waiting = false;
  #block: { msg: Deno.PointerObject; msgBuffer: Uint8Array } | null = null;

  constructor(capacity = 4) {
    this.#grow(capacity);
  }

  /** Number of items added since the last {@linkcode reset}. */
  get count(): number {
    return this.#count;
  }

  /** Removes all items. */
  reset(): void {
    if (this.#waiting) throw new Error("Cannot reset a poll in flight");
    this.#count = 0;
    this.#sockets.length = 0;
  }

  /** Adds `socket` waiting for `events` (POLLIN/POLLOUT bits); returns its index. */
  add(socket: ZmqSocket, events: number): number {
    if (this.#waiting) throw new Error("Cannot add to a poll in flight");
    const index = this.#count;
    if (index === this.#capacity) this.#grow(this.#capacity * 2);
    const offset = index * POLLITEM_SIZE;
    const view = this.#view;
    view.setBigUint64(offset, socket[kHandleValue], LITTLE_ENDIAN);
    view.setInt32(offset + 8, 0, LITTLE_ENDIAN);
    view.setInt16(offset + POLLITEM_EVENTS, events, LITTLE_ENDIAN);
    view.setInt16(offset + POLLITEM_REVENTS, 0, LITTLE_ENDIAN);
    this.#sockets[index] = socket;
    this.#count = index + 1;
    return index;
  }

  /**
   * Adds a raw file descriptor waiting for `events` (POLLIN: readable);
   * returns its index. Polling a socket's `fd` does not touch the socket.
   */
  addFd(fd: number, events: number): number {
    if (this.#waiting) throw new Error("Cannot add to a poll in flight");
    const index = this.#count;
    if (index === this.#capacity) this.#grow(this.#capacity * 2);
    const offset = index * POLLITEM_SIZE;
    const view = this.#view;
    view.setBigUint64(offset, 0n, LITTLE_ENDIAN);
    view.setInt32(offset + 8, fd, LITTLE_ENDIAN);
    view.setInt16(offset + POLLITEM_EVENTS, events, LITTLE_ENDIAN);
    view.setInt16(offset + POLLITEM_REVENTS, 0, LITTLE_ENDIAN);
    this.#sockets[index] = null;
    this.#count = index + 1;
    return index;
  }

  /** Whether item `index` is a raw file descriptor. */
  isFd(index: number): boolean {
    return this.#sockets[index] === null;
  }

  /** The events that happened for item `index` in the last wait. */
  revents(index: number): number {
    return this.#view.getInt16(
      index * POLLITEM_SIZE + POLLITEM_REVENTS,
      LITTLE_ENDIAN,
    );
  }

  /**
   * Waits on a helper thread up to `timeoutMs` (-1: forever) for any item's
   * events. Resolves with the number of items with events; throws a ZmqError
   * (e.g. ETERM once the context is shut down).
   */
  async wait(timeoutMs: number): Promise<number> {
    if (this.#waiting) throw new Error("Poll already in flight");
    const count = this.#count;
    const sockets = this.#sockets;
    let entered = 0;
    try {
      for (; entered < count; entered++) sockets[entered]?.[kPollEnter]();
      this.#waiting = true;
      const lib = zmq();
      let rc = await lib.zmq_poll_async(
        this.#pointer,
        count,
        BigInt(timeoutMs),
      );
      if (rc < 0) {
        // errno belongs to the helper thread: poll once more from this one,
        // without waiting, to learn the error (or get the events after EINTR).
        rc = lib.zmq_poll(this.#pointer, count, 0n);
        if (rc < 0) throw lastError();
      }
      return rc;
    } finally {
      this.#waiting = false;
      for (let i = 0; i < entered; i++) sockets[i]?.[kPollLeave]();
    }
  }

  /** Frees the native item array (not while a wait is in flight). */
  close(): void {
    if (this.#waiting) throw new Error("Cannot close a poll in flight");
    if (this.#block === null) return;
    zmq().zmq_msg_close(this.#block.msg);
    this.#block = null;
  }

  // The item array lives in native memory (the content of a zmq_msg_t, which
  // libzmq mallocs), not in a V8 ArrayBuffer: if the isolate is torn down
  // (uncaught error, terminated worker) while the helper thread is still in
  // zmq_poll, the items it re-reads on every wake-up must stay valid.
  #grow(capacity: number): void {
    const size = Math.max(capacity * POLLITEM_SIZE, MIN_NATIVE_SIZE);
    const msgBuffer = new Uint8Array(new ArrayBuffer(MSG_SIZE));
    const msg = Deno.UnsafePointer.of(msgBuffer)!;
    const lib = zmq();
    if (lib.zmq_msg_init_size(msg, BigInt(size)) !== 0) throw lastError();
    const pointer = lib.zmq_msg_data(msg)!;
    const buffer = new Uint8Array(
      Deno.UnsafePointerView.getArrayBuffer(pointer, size),
    );
    if (this.#block !== null) {
      buffer.set(this.#buffer.subarray(0, this.#count * POLLITEM_SIZE));
      lib.zmq_msg_close(this.#block.msg);
    }
    this.#block = { msg, msgBuffer };
    this.#buffer = buffer;
    this.#view = new DataView(buffer.buffer);
    this.#pointer = pointer;
    this.#capacity = Math.floor(size / POLLITEM_SIZE);
  }
}
