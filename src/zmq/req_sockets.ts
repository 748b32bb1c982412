/**
 * The manager's req-mode socket (reference §2.3, §3.2): one DEALER, driven by
 * one poll loop in the calling isolate.
 *
 * @module
 */

import { Logger } from "../log.ts";
import { attach, closeNow, removeIpcFiles } from "./_attach.ts";
import { PollLoop } from "./_loop.ts";
import { copyPart, morePart, receivePart, releasePart } from "./_msg.ts";
import { Fifo } from "./_queue.ts";
import { kHandle } from "./_internal.ts";
import type { ZmqContext } from "./context.ts";
import { SocketType, type ZmqSocket } from "./socket.ts";
import {
  DEFAULT_OTHER_HWM,
  DEFAULT_QUEUE_MAX,
  INIT_HWM,
  RECEIVE_BATCH,
  type ZmqLogger,
} from "./stream_sockets.ts";

/**
 * Most envelope frames accepted before the empty delimiter (Condure).
 *
 * @example
 * ```ts
 * import { ENVELOPE_FRAMES_MAX } from "./mod.ts";
 * if (ENVELOPE_FRAMES_MAX !== 8) throw new Error("unexpected");
 * ```
 */
export const ENVELOPE_FRAMES_MAX = 8;

const EMPTY = new Uint8Array(0);

/** Options of {@linkcode ReqSockets}. */
export interface ReqSocketsOptions {
  /** `--zclient-req` specs, used verbatim. */
  specs: readonly string[];
  /** Connect instead of bind (`--zclient-connect`). */
  connect: boolean;
  /** Permission bits for bound ipc files (0: leave them). */
  ipcFileMode: number;
  /** DEALER RCVHWM (`other_hwm`); default 505. */
  rcvHwm?: number;
  /** Bound of the outbound backlog; default 10000. */
  queueMax?: number;
  /** Called with the payload frame of every well-formed reply. */
  onMessage: (payload: Uint8Array) => void;
  /** Default: `condure::zhttpsocket`. */
  logger?: ZmqLogger;
}

/**
 * The req-mode DEALER (SNDHWM 128). Sends go out as `["", payload]`; replies
 * are read up to the empty delimiter (at most 8 envelope frames, else the
 * message is dropped), the next frame is the payload, later frames are
 * dropped. The DEALER is always being polled, so sends are queued and the
 * poll is woken to flush them.
 *
 * @example
 * ```ts
 * import { ReqSockets, ZmqContext } from "./mod.ts";
 * using ctx = new ZmqContext();
 * const req = new ReqSockets(ctx, {
 *   specs: ["inproc://req-example"],
 *   connect: false,
 *   ipcFileMode: 0,
 *   onMessage: (payload) => console.log(payload.length),
 * });
 * req.send(new TextEncoder().encode("T2:{}"));
 * await req.close();
 * ```
 */
export class ReqSockets implements AsyncDisposable {
  readonly #dealer: ZmqSocket;
  readonly #loop: PollLoop;
  readonly #queue = new Fifo<Uint8Array>();
  readonly #queueMax: number;
  readonly #onMessage: (payload: Uint8Array) => void;
  readonly #logger: ZmqLogger;
  readonly #boundPaths: string[] = [];
  #closing: Promise<void> | undefined;

  /** Creates, configures and binds (or connects) the DEALER. */
  constructor(ctx: ZmqContext, options: ReqSocketsOptions) {
    this.#queueMax = options.queueMax ?? DEFAULT_QUEUE_MAX;
    this.#onMessage = options.onMessage;
    this.#logger = options.logger ?? new Logger("condure::zhttpsocket");
    const dealer = ctx.socket(SocketType.DEALER);
    try {
      dealer.setSndHwm(INIT_HWM);
      dealer.setRcvHwm(options.rcvHwm ?? DEFAULT_OTHER_HWM);
      const attachOptions = {
        connect: options.connect,
        ipcFileMode: options.ipcFileMode,
        boundPaths: this.#boundPaths,
      };
      for (const spec of options.specs) attach(dealer, spec, attachOptions);
      this.#dealer = dealer;
      this.#loop = new PollLoop(ctx, {
        entries: [{
          socket: dealer,
          onReadable: () => this.#drain(),
          hasPending: () => this.#queue.length > 0,
          onWritable: () => this.#flush(),
        }],
        onError: (error) =>
          this.#logger.error(`zmq loop: ${(error as Error).message}`),
      });
    } catch (error) {
      closeNow(dealer);
      removeIpcFiles(this.#boundPaths);
      throw error;
    }
  }

  /** Number of messages waiting to be sent. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queues `payload` to go out as `["", payload]`. Returns false, dropping
   * it, if the backlog is full or the socket is closed.
   */
  send(payload: Uint8Array): boolean {
    if (this.#closing) return false;
    const queue = this.#queue;
    if (queue.length === 0 && !this.#dealer.polling) {
      try {
        if (this.#dealer.trySend([EMPTY, payload])) return true;
      } catch (error) {
        this.#logger.error(`req zmq send: ${(error as Error).message}`);
        return false;
      }
    }
    if (queue.length >= this.#queueMax) return false;
    queue.push(payload);
    if (queue.length === 1) this.#loop.wake();
    return true;
  }

  /** Stops the loop, closes the DEALER (dropping the backlog), removes ipc files. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    await this.#loop.close();
    this.#queue.clear();
    closeNow(this.#dealer);
    removeIpcFiles(this.#boundPaths);
  }

  #flush(): void {
    const queue = this.#queue;
    const frames: Uint8Array[] = [EMPTY, EMPTY];
    for (let payload = queue.peek(); payload; payload = queue.peek()) {
      frames[1] = payload;
      try {
        if (!this.#dealer.trySend(frames)) return;
      } catch (error) {
        this.#logger.error(`req zmq send: ${(error as Error).message}`);
      }
      queue.shift();
    }
  }

  #drain(): void {
    const handle = this.#dealer[kHandle];
    try {
      for (let i = 0; i < RECEIVE_BATCH && !this.#closing; i++) {
        let size = receivePart(handle);
        if (size < 0) return;
        // Envelope: frames up to the empty delimiter.
        let envelope = 0;
        while (size > 0 && morePart()) {
          envelope++;
          size = receivePart(handle);
        }
        let payload: Uint8Array | null = null;
        if (size === 0 && morePart()) {
          payload = copyPart(receivePart(handle));
        }
        while (morePart()) receivePart(handle);
        if (payload === null || envelope > ENVELOPE_FRAMES_MAX) {
          this.#logger.debug("req zmq recv: dropping malformed message");
          continue;
        }
        try {
          this.#onMessage(payload);
        } catch (error) {
          this.#logger.error(`req message handler: ${error}`);
        }
      }
    } finally {
      releasePart();
    }
  }
}
