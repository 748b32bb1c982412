/**
 * The manager's stream-mode sockets (reference §2.1): PUSH `out`, ROUTER
 * `out-stream`, SUB `in`, driven by one poll loop in the calling isolate.
 *
 * @module
 */

import { Logger } from "../log.ts";
import { attach, closeLinger, closeNow, removeIpcFiles } from "./_attach.ts";
import { PollLoop } from "./_loop.ts";
import { copyPart, receivePart, releasePart, skipRest } from "./_msg.ts";
import { Fifo } from "./_queue.ts";
import { kHandle } from "./_internal.ts";
import { deriveStreamEndpoints } from "./endpoints.ts";
import type { ZmqContext } from "./context.ts";
import { SocketType, type ZmqSocket } from "./socket.ts";

/**
 * Condure's `INIT_HWM`: SNDHWM of the PUSH (and req DEALER) socket.
 *
 * @example
 * ```ts
 * import { INIT_HWM } from "./mod.ts";
 * if (INIT_HWM !== 128) throw new Error("unexpected");
 * ```
 */
export const INIT_HWM = 128;
/**
 * Condure's default `other_hwm`: max((req_maxconn + stream_maxconn) / 20, 1)
 * with the default 100 + 10000 connections.
 *
 * @example
 * ```ts
 * import { DEFAULT_OTHER_HWM } from "./mod.ts";
 * if (DEFAULT_OTHER_HWM !== Math.max(Math.floor(10100 / 20), 1)) throw new Error();
 * ```
 */
export const DEFAULT_OTHER_HWM = 505;
/**
 * Condure's `STREAM_OUT_STREAM_DELAY`: the longest ROUTER retry delay after EAGAIN (retries
 * start at 1 ms and back off to it).
 *
 * @example
 * ```ts
 * import { STREAM_OUT_STREAM_DELAY_MS } from "./mod.ts";
 * if (STREAM_OUT_STREAM_DELAY_MS !== 50) throw new Error("unexpected");
 * ```
 */
export const STREAM_OUT_STREAM_DELAY_MS = 50;
/**
 * Default bound of each outbound backlog (messages).
 *
 * @example
 * ```ts
 * import { DEFAULT_QUEUE_MAX } from "./mod.ts";
 * if (DEFAULT_QUEUE_MAX < 1) throw new Error("unexpected");
 * ```
 */
export const DEFAULT_QUEUE_MAX = 10_000;
/** Messages received per readable event before polling again. */
export const RECEIVE_BATCH = 256;

const EMPTY = new Uint8Array(0);

/** Where socket sets log (Condure's `Logger` fits). */
export interface ZmqLogger {
  /** ERR records. */
  error(message: string): void;
  /** WARN records. */
  warn(message: string): void;
  /** DEBUG records. */
  debug(message: string): void;
}

/** Options of {@linkcode StreamSockets}. */
export interface StreamSocketsOptions {
  /** `--zclient-stream` base specs (each derives three endpoints). */
  specs: readonly string[];
  /** Connect instead of bind (`--zclient-connect`). */
  connect: boolean;
  /** The instance id: the SUB filter is `"<instanceId> "`. */
  instanceId: string;
  /** Permission bits for bound ipc files (0: leave them). */
  ipcFileMode: number;
  /** ROUTER SNDHWM (`other_hwm`); default 505. */
  sndHwm?: number;
  /** SUB RCVHWM (`other_hwm`); default 505. */
  rcvHwm?: number;
  /** Bound of each outbound backlog; default 10000. */
  queueMax?: number;
  /** Called with the first frame of every SUB message. */
  onMessage: (frame: Uint8Array) => void;
  /** Default: `condure::zhttpsocket`. */
  logger?: ZmqLogger;
}

/**
 * Stream-mode sockets. Sends never block: a PUSH send that libzmq refuses
 * (no handler connected, HWM reached) is queued and flushed when the socket
 * becomes writable; a ROUTER send refused with EAGAIN is retried after 50 ms;
 * one to an unknown identity (EHOSTUNREACH) is logged and dropped.
 *
 * @example
 * ```ts
 * import { StreamSockets, ZmqContext } from "./mod.ts";
 * using ctx = new ZmqContext();
 * const dir = Deno.makeTempDirSync();
 * const sockets = new StreamSockets(ctx, {
 *   specs: [`ipc://${dir}/client`],
 *   connect: false,
 *   instanceId: "condure",
 *   ipcFileMode: 0,
 *   onMessage: (frame) => console.log(frame.length),
 * });
 * sockets.sendRequest(new TextEncoder().encode("T2:{}"));
 * await sockets.close();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export class StreamSockets implements AsyncDisposable {
  readonly #push: ZmqSocket;
  readonly #router: ZmqSocket;
  readonly #sub: ZmqSocket;
  readonly #loop: PollLoop;
  readonly #pushQueue = new Fifo<Uint8Array>();
  readonly #routerQueue = new Fifo<Uint8Array[]>();
  readonly #queueMax: number;
  readonly #onMessage: (frame: Uint8Array) => void;
  readonly #logger: ZmqLogger;
  readonly #boundPaths: string[] = [];
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay = 1;
  #closing: Promise<void> | undefined;

  /** Creates, configures and binds (or connects) the three sockets. */
  constructor(ctx: ZmqContext, options: StreamSocketsOptions) {
    const endpoints = options.specs.map(deriveStreamEndpoints);
    const otherSndHwm = options.sndHwm ?? DEFAULT_OTHER_HWM;
    const otherRcvHwm = options.rcvHwm ?? DEFAULT_OTHER_HWM;
    this.#queueMax = options.queueMax ?? DEFAULT_QUEUE_MAX;
    this.#onMessage = options.onMessage;
    this.#logger = options.logger ?? new Logger("condure::zhttpsocket");
    const attachOptions = {
      connect: options.connect,
      ipcFileMode: options.ipcFileMode,
      boundPaths: this.#boundPaths,
    };
    const sockets: ZmqSocket[] = [];
    try {
      const push = ctx.socket(SocketType.PUSH);
      sockets.push(push);
      push.setSndHwm(INIT_HWM);
      const router = ctx.socket(SocketType.ROUTER);
      sockets.push(router);
      router.setSndHwm(otherSndHwm);
      router.setRouterMandatory(true);
      const sub = ctx.socket(SocketType.SUB);
      sockets.push(sub);
      sub.setRcvHwm(otherRcvHwm);
      sub.subscribe(new TextEncoder().encode(`${options.instanceId} `));
      for (const e of endpoints) {
        attach(push, e.out, attachOptions);
        attach(router, e.outStream, attachOptions);
        attach(sub, e.in, attachOptions);
      }
      this.#push = push;
      this.#router = router;
      this.#sub = sub;
      this.#loop = new PollLoop(ctx, {
        entries: [
          { socket: sub, onReadable: () => this.#drainSub() },
          {
            socket: push,
            hasPending: () => this.#pushQueue.length > 0,
            onWritable: () => this.#flushPush(),
            onSignal: () => void this.#push.events,
          },
          // Never polled as a socket, so sends go out directly; its ZMQ_FD is
          // watched so a departed handler's pipe is cleaned up promptly (a
          // restarted handler reusing the identity is refused until then).
          { socket: router, onSignal: () => this.#serviceRouter() },
        ],
        onError: (error) =>
          this.#logger.error(`zmq loop: ${(error as Error).message}`),
      });
    } catch (error) {
      sockets.forEach(closeNow);
      removeIpcFiles(this.#boundPaths);
      throw error;
    }
  }

  /** Number of initial requests waiting for the PUSH socket. */
  get pendingRequests(): number {
    return this.#pushQueue.length;
  }

  /** Number of ROUTER messages waiting for a retry. */
  get pendingRouted(): number {
    return this.#routerQueue.length;
  }

  /**
   * Sends an initial request packet on PUSH (any connected handler gets it),
   * queueing it (FIFO) if libzmq can't take it now. Returns false, dropping
   * it, if the backlog is full or the sockets are closed.
   */
  sendRequest(payload: Uint8Array): boolean {
    if (this.#closing) return false;
    const queue = this.#pushQueue;
    if (queue.length === 0 && !this.#push.polling) {
      try {
        if (this.#push.trySend([payload])) return true;
      } catch (error) {
        this.#logger.error(`stream zmq send: ${(error as Error).message}`);
        return false;
      }
    }
    if (queue.length >= this.#queueMax) return false;
    queue.push(payload);
    if (queue.length === 1) this.#loop.wake();
    return true;
  }

  /**
   * Sends `payload` on the ROUTER to the handler with ZMQ identity
   * `identity` (frames `[identity, "", payload]`). Returns false if it was
   * dropped: unknown identity (logged as Condure 1.9.1 does), full backlog,
   * or closed sockets.
   */
  sendTo(identity: Uint8Array, payload: Uint8Array): boolean {
    if (this.#closing) return false;
    const frames = [identity, EMPTY, payload];
    const queue = this.#routerQueue;
    if (queue.length === 0) {
      const sent = this.#trySendRouted(frames);
      if (sent !== undefined) return sent;
    }
    if (queue.length >= this.#queueMax) return false;
    queue.push(frames);
    this.#retryTimer ??= setTimeout(
      () => this.#flushRouter(),
      this.#retryDelay,
    );
    return true;
  }

  /**
   * Stops the loop, closes the sockets and removes ipc files. With `lingerMs` > 0, queued
   * packets get up to that long to leave first (shutdown cancels); otherwise they are dropped.
   */
  close(options: { lingerMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.lingerMs ?? 0);
    return this.#closing;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(lingerMs: number): Promise<void> {
    const deadline = Date.now() + lingerMs;
    while (
      (this.pendingRequests > 0 || this.pendingRouted > 0) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#loop.close();
    this.#pushQueue.clear();
    this.#routerQueue.clear();
    const linger = Math.max(0, deadline - Date.now());
    closeLinger(this.#push, linger);
    closeLinger(this.#router, linger);
    closeNow(this.#sub);
    removeIpcFiles(this.#boundPaths);
  }

  // true: sent; false: dropped; undefined: EAGAIN, keep it.
  #trySendRouted(frames: Uint8Array[]): boolean | undefined {
    try {
      return this.#router.trySend(frames) ? true : undefined;
    } catch (error) {
      // EHOSTUNREACH (unknown identity) is logged at ERR like Condure 1.9.1:
      // "stream zmq send to: Host unreachable".
      this.#logger.error(`stream zmq send to: ${(error as Error).message}`);
      return false;
    }
  }

  // Processes the ROUTER's pending commands and discards anything handlers
  // sent to it (nothing is expected): reading is what completes the
  // termination of a disconnected handler's pipe.
  #serviceRouter(): void {
    if (this.#closing) return;
    const router = this.#router;
    void router.events;
    const handle = router[kHandle];
    try {
      for (let i = 0; i < RECEIVE_BATCH; i++) {
        if (receivePart(handle) < 0) return;
        skipRest(handle);
      }
    } finally {
      releasePart();
    }
  }

  #flushRouter(): void {
    this.#retryTimer = undefined;
    if (this.#closing) return;
    const queue = this.#routerQueue;
    for (let frames = queue.peek(); frames; frames = queue.peek()) {
      if (this.#trySendRouted(frames) === undefined) {
        // Still full: back off from 1 ms up to Condure's 50 ms, so that a short burst over
        // the high-water mark does not stall every session for 50 ms.
        this.#retryDelay = Math.min(
          this.#retryDelay * 2,
          STREAM_OUT_STREAM_DELAY_MS,
        );
        this.#retryTimer = setTimeout(
          () => this.#flushRouter(),
          this.#retryDelay,
        );
        return;
      }
      queue.shift();
    }
    this.#retryDelay = 1;
  }

  #flushPush(): void {
    const queue = this.#pushQueue;
    const frames: Uint8Array[] = [EMPTY];
    for (let payload = queue.peek(); payload; payload = queue.peek()) {
      frames[0] = payload;
      try {
        if (!this.#push.trySend(frames)) return;
      } catch (error) {
        this.#logger.error(`stream zmq send: ${(error as Error).message}`);
      }
      queue.shift();
    }
  }

  #drainSub(): void {
    const handle = this.#sub[kHandle];
    try {
      for (let i = 0; i < RECEIVE_BATCH && !this.#closing; i++) {
        const size = receivePart(handle);
        if (size < 0) return;
        const frame = copyPart(size);
        skipRest(handle);
        try {
          this.#onMessage(frame);
        } catch (error) {
          this.#logger.error(`stream message handler: ${error}`);
        }
      }
    } finally {
      releasePart();
    }
  }
}
