/**
 * One libzmq socket, driven synchronously (`ZMQ_DONTWAIT`) from the isolate's
 * thread; waiting is done with {@linkcode poll} in `poll.ts`.
 *
 * @module
 */

import {
  cString,
  zmq,
  ZMQ_DONTWAIT,
  ZMQ_EVENTS,
  ZMQ_FD,
  ZMQ_LAST_ENDPOINT,
  ZMQ_LINGER,
  ZMQ_RCVHWM,
  ZMQ_ROUTER_MANDATORY,
  ZMQ_ROUTING_ID,
  ZMQ_SNDHWM,
  ZMQ_SNDMORE,
  ZMQ_SUBSCRIBE,
} from "./_ffi.ts";
import { EAGAIN, Errno, lastError, ZmqError } from "./error.ts";
import {
  kHandle,
  kHandleValue,
  kPollEnter,
  kPollLeave,
  kSocketClosed,
} from "./_internal.ts";
import { copyPart, morePart, receivePart, releasePart } from "./_msg.ts";
import type { ZmqContext } from "./context.ts";

/**
 * libzmq socket types (`zmq.h`).
 *
 * @example
 * ```ts
 * import { SocketType } from "./socket.ts";
 * if (SocketType.ROUTER !== 6) throw new Error("unexpected");
 * ```
 */
export const SocketType = {
  PAIR: 0,
  PUB: 1,
  SUB: 2,
  REQ: 3,
  REP: 4,
  DEALER: 5,
  ROUTER: 6,
  PULL: 7,
  PUSH: 8,
} as const;

const SEND_MORE = ZMQ_DONTWAIT | ZMQ_SNDMORE;

/**
 * A libzmq socket. Create it with {@linkcode ZmqContext.socket}. Not
 * thread-safe: it must not be used while a {@linkcode poll} that includes it
 * is in flight (such use throws a ZmqError with code `EBUSY`).
 *
 * @example
 * ```ts
 * import { SocketType, ZmqContext } from "./mod.ts";
 * using ctx = new ZmqContext();
 * using pull = ctx.socket(SocketType.PULL);
 * using push = ctx.socket(SocketType.PUSH);
 * pull.bind("inproc://socket-example");
 * push.connect("inproc://socket-example");
 * push.trySend([new TextEncoder().encode("hi")]);
 * const frames = pull.tryReceive();
 * if (frames?.length !== 1) throw new Error("not received");
 * ```
 */
export class ZmqSocket implements Disposable {
  #handle: Deno.PointerObject | null;
  readonly #handleValue: bigint;
  readonly #context: ZmqContext;
  readonly #type: number;
  #polls = 0;
  #closePending = false;
  readonly #int = new Int32Array(1);
  readonly #intBytes = new Uint8Array(this.#int.buffer);
  readonly #optionSize = new BigUint64Array(1);

  /** Opens a socket of `type` (see {@linkcode SocketType}) in `context`. */
  constructor(context: ZmqContext, type: number) {
    const ctx = Deno.UnsafePointer.create(context.pointerValue);
    const handle = zmq().zmq_socket(ctx, type);
    if (handle === null) throw lastError();
    this.#handle = handle;
    this.#handleValue = Deno.UnsafePointer.value(handle);
    this.#context = context;
    this.#type = type;
  }

  /** The socket type it was created with. */
  get type(): number {
    return this.#type;
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#handle === null || this.#closePending;
  }

  /** Sets `ZMQ_SNDHWM` (outbound queue limit, in messages). */
  setSndHwm(n: number): void {
    this.#setInt(ZMQ_SNDHWM, n);
  }

  /** Sets `ZMQ_RCVHWM` (inbound queue limit, in messages). */
  setRcvHwm(n: number): void {
    this.#setInt(ZMQ_RCVHWM, n);
  }

  /** Sets `ZMQ_ROUTER_MANDATORY` (unroutable sends fail with EHOSTUNREACH). */
  setRouterMandatory(on: boolean): void {
    this.#setInt(ZMQ_ROUTER_MANDATORY, on ? 1 : 0);
  }

  /** Sets `ZMQ_LINGER` in ms (-1: wait forever for pending messages on close). */
  setLinger(ms: number): void {
    this.#setInt(ZMQ_LINGER, ms);
  }

  /** Sets `ZMQ_ROUTING_ID` (the identity a ROUTER peer sees). */
  setIdentity(id: Uint8Array): void {
    this.#setBytes(ZMQ_ROUTING_ID, id);
  }

  /** Adds a `ZMQ_SUBSCRIBE` prefix filter (SUB sockets). */
  subscribe(prefix: Uint8Array): void {
    this.#setBytes(ZMQ_SUBSCRIBE, prefix);
  }

  /** Binds to `endpoint`, e.g. `"tcp://127.0.0.1:5555"` or `"ipc:///tmp/x"`. */
  bind(endpoint: string): void {
    if (zmq().zmq_bind(this.#use(), cString(endpoint)) !== 0) {
      throw lastError();
    }
  }

  /** Undoes a {@linkcode bind} to `endpoint`. */
  unbind(endpoint: string): void {
    if (zmq().zmq_unbind(this.#use(), cString(endpoint)) !== 0) {
      throw lastError();
    }
  }

  /** Connects to `endpoint` (completes in the background). */
  connect(endpoint: string): void {
    if (zmq().zmq_connect(this.#use(), cString(endpoint)) !== 0) {
      throw lastError();
    }
  }

  /**
   * `ZMQ_FD`: a file descriptor that becomes readable when the socket has
   * pending work (commands from libzmq's I/O threads). Polling it from
   * another thread is safe; then read {@linkcode events} from this one.
   */
  get fd(): number {
    return this.#getInt(ZMQ_FD);
  }

  /**
   * `ZMQ_EVENTS`: POLLIN/POLLOUT bits for what is possible now. Reading it
   * processes the socket's pending commands (peer connects, disconnects).
   */
  get events(): number {
    return this.#getInt(ZMQ_EVENTS);
  }

  /** `ZMQ_LAST_ENDPOINT`: the endpoint last bound (with the real port). */
  get lastEndpoint(): string {
    const buffer = new Uint8Array(1024);
    const size = new BigUint64Array([BigInt(buffer.length)]);
    const rc = zmq().zmq_getsockopt(
      this.#use(),
      ZMQ_LAST_ENDPOINT,
      buffer,
      size,
    );
    if (rc !== 0) throw lastError();
    const end = buffer.indexOf(0);
    return new TextDecoder().decode(buffer.subarray(0, end < 0 ? 0 : end));
  }

  /**
   * Sends one message of `frames` without waiting. Returns false, having sent
   * nothing, if the socket cannot take it now (EAGAIN); throws a ZmqError for
   * other failures (e.g. EHOSTUNREACH on a ROUTER_MANDATORY socket).
   */
  trySend(frames: readonly Uint8Array[]): boolean {
    const handle = this.#use();
    const lib = zmq();
    const last = frames.length - 1;
    if (last < 0) throw new RangeError("Cannot send a message of no frames");
    for (let i = 0; i <= last; i++) {
      const frame = frames[i]!;
      const flags = i < last ? SEND_MORE : ZMQ_DONTWAIT;
      if (lib.zmq_send(handle, frame, BigInt(frame.byteLength), flags) < 0) {
        const errno = lib.zmq_errno();
        // Later parts of a started message are never refused with EAGAIN.
        if (i === 0 && errno === EAGAIN) return false;
        throw ZmqError.fromErrno(errno);
      }
    }
    return true;
  }

  /**
   * Receives one whole message without waiting: its frames, copied, or null
   * if none is queued (EAGAIN).
   */
  tryReceive(): Uint8Array[] | null {
    const handle = this.#use();
    const size = receivePart(handle);
    if (size < 0) return null;
    const frames = [copyPart(size)];
    while (morePart()) frames.push(copyPart(receivePart(handle)));
    releasePart();
    return frames;
  }

  /**
   * Closes the socket (idempotent). If a poll that includes it is in flight,
   * the close happens when that poll returns.
   */
  close(): void {
    if (this.#handle === null || this.#closePending) return;
    if (this.#polls > 0) {
      this.#closePending = true;
      return;
    }
    this.#closeNow();
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal The raw handle, checked as usable from this thread. */
  get [kHandle](): Deno.PointerObject {
    return this.#use();
  }

  /** @internal The raw handle as an integer, for poll items. */
  get [kHandleValue](): bigint {
    return this.#handleValue;
  }

  /** @internal Marks the socket as watched by an in-flight poll. */
  [kPollEnter](): void {
    if (this.#handle === null || this.#closePending) {
      throw ZmqError.fromErrno(Errno.ENOTSOCK!);
    }
    this.#polls++;
  }

  /** @internal The poll that watched the socket returned. */
  [kPollLeave](): void {
    this.#polls--;
    if (this.#polls === 0 && this.#closePending) this.#closeNow();
  }

  /** Whether a poll that includes this socket is in flight. */
  get polling(): boolean {
    return this.#polls > 0;
  }

  #closeNow(): void {
    const handle = this.#handle;
    if (handle === null) return;
    this.#handle = null;
    this.#closePending = false;
    const lib = zmq();
    if (this.#context.closed) {
      // The context is going away: don't let pending messages hold up its
      // termination (linger -1 would wait forever for absent peers).
      this.#int[0] = 0;
      lib.zmq_setsockopt(handle, ZMQ_LINGER, this.#intBytes, 4n);
    }
    lib.zmq_close(handle);
    this.#context[kSocketClosed](this);
  }

  #use(): Deno.PointerObject {
    const handle = this.#handle;
    if (handle === null || this.#closePending) {
      throw ZmqError.fromErrno(Errno.ENOTSOCK!);
    }
    if (this.#polls > 0) {
      throw new ZmqError(
        Errno.EBUSY!,
        "Socket is busy: a poll that includes it is in flight",
      );
    }
    return handle;
  }

  #getInt(option: number): number {
    this.#optionSize[0] = 4n;
    const rc = zmq().zmq_getsockopt(
      this.#use(),
      option,
      this.#intBytes,
      this.#optionSize,
    );
    if (rc !== 0) throw lastError();
    return this.#int[0]!;
  }

  #setInt(option: number, value: number): void {
    this.#int[0] = value;
    this.#setBytes(option, this.#intBytes);
  }

  #setBytes(option: number, value: Uint8Array): void {
    const rc = zmq().zmq_setsockopt(
      this.#use(),
      option,
      value,
      BigInt(value.byteLength),
    );
    if (rc !== 0) throw lastError();
  }
}
