/**
 * A libzmq context, optionally shared across worker isolates by pointer value.
 *
 * @module
 */

import { zmq } from "./_ffi.ts";
import { lastError } from "./error.ts";
import { kSocketClosed } from "./_internal.ts";
import { ZmqSocket } from "./socket.ts";

// Set only while fromPointerValue() runs the constructor.
let sharedPointer: bigint | undefined;

/**
 * A libzmq context (`zmq_ctx_new`). Sockets made with {@linkcode socket} are
 * tracked and closed with it. A context is safe to share between threads:
 * pass {@linkcode pointerValue} to a worker and open it there with
 * {@linkcode ZmqContext.fromPointerValue} so `inproc://` endpoints connect
 * across isolates.
 *
 * @example
 * ```ts
 * import { SocketType, ZmqContext } from "./mod.ts";
 * const ctx = new ZmqContext();
 * const socket = ctx.socket(SocketType.PUSH);
 * socket.setSndHwm(128);
 * ctx.close(); // closes the socket too
 * if (!socket.closed) throw new Error("still open");
 * ```
 */
export class ZmqContext implements Disposable {
  #handle: Deno.PointerObject;
  readonly #owned: boolean;
  #closed = false;
  #terminated = false;
  readonly #sockets = new Set<ZmqSocket>();

  /** Creates a new libzmq context owned by this object. */
  constructor() {
    if (sharedPointer !== undefined) {
      const handle = Deno.UnsafePointer.create(sharedPointer);
      if (handle === null) throw new TypeError("Invalid context pointer: 0");
      this.#handle = handle;
      this.#owned = false;
      return;
    }
    const handle = zmq().zmq_ctx_new();
    if (handle === null) throw lastError();
    this.#handle = handle;
    this.#owned = true;
  }

  /**
   * Wraps a context created elsewhere (typically in another isolate). Closing
   * the wrapper closes the sockets made through it but never terminates the
   * context; its owner must outlive every user.
   *
   * @example
   * ```ts
   * import { ZmqContext } from "./mod.ts";
   * using owner = new ZmqContext();
   * using shared = ZmqContext.fromPointerValue(owner.pointerValue);
   * if (shared.pointerValue !== owner.pointerValue) throw new Error("differs");
   * ```
   */
  static fromPointerValue(value: bigint): ZmqContext {
    sharedPointer = value;
    try {
      return new ZmqContext();
    } finally {
      sharedPointer = undefined;
    }
  }

  /** The `void *` context as an integer, to send to another isolate. */
  get pointerValue(): bigint {
    return Deno.UnsafePointer.value(this.#handle);
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Opens a socket of `type` (see `SocketType`). */
  socket(type: number): ZmqSocket {
    if (this.#closed) {
      throw new TypeError("Cannot open a socket: context closed");
    }
    const socket = new ZmqSocket(this, type);
    this.#sockets.add(socket);
    return socket;
  }

  /**
   * Closes the context (idempotent). An owned context is shut down first
   * (`zmq_ctx_shutdown`: in-flight polls on any of its sockets, in any
   * isolate, fail with ETERM), then the sockets made here are closed with
   * linger 0 (those in an in-flight poll when it returns), then the context
   * is terminated once they all are. `zmq_ctx_term` waits for sockets opened
   * through other wrappers, so close those first.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const lib = zmq();
    if (this.#owned) lib.zmq_ctx_shutdown(this.#handle);
    // Sockets set linger 0 when closed after their context (see ZmqSocket).
    for (const socket of [...this.#sockets]) socket.close();
    this.#maybeTerminate();
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal A socket made here was closed. */
  [kSocketClosed](socket: ZmqSocket): void {
    this.#sockets.delete(socket);
    if (this.#closed) this.#maybeTerminate();
  }

  #maybeTerminate(): void {
    if (!this.#owned || this.#terminated || this.#sockets.size > 0) return;
    this.#terminated = true;
    zmq().zmq_ctx_term(this.#handle);
  }
}
