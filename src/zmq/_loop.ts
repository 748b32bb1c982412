/**
 * The poll loop that drives a socket set inside one isolate: one nonblocking
 * `zmq_poll` in flight at a time, woken early through an inproc PAIR pair.
 *
 * @module
 */

import { Poller } from "./_poller.ts";
import { POLLIN, POLLOUT } from "./poll.ts";
import { Errno, ETERM, ZmqError } from "./error.ts";
import { closeNow } from "./_attach.ts";
import { SocketType, type ZmqSocket } from "./socket.ts";
import type { ZmqContext } from "./context.ts";

/** A socket the loop watches. */
export interface LoopEntry {
  /** The socket. */
  socket: ZmqSocket;
  /** Called (between polls) when a message can be received; drain it. */
  onReadable?: () => void;
  /** Whether sends are queued: the socket is then polled for POLLOUT. */
  hasPending?: () => boolean;
  /** Called (between polls) when the socket can take a message. */
  onWritable?: () => void;
  /**
   * When the socket is not otherwise polled, watch its `ZMQ_FD` and call
   * this when it signals; it must read `socket.events` (which processes the
   * pending commands, e.g. a disconnected peer's pipe termination).
   */
  onSignal?: () => void;
}

const WAKE = [new Uint8Array(0)];
let wakerCount = 0;

/**
 * Polls `entries` until closed. Sockets in the in-flight poll are busy
 * (`socket.polling`): callers queue their sends and call {@linkcode wake}.
 */
export class PollLoop {
  readonly #entries: readonly LoopEntry[];
  readonly #wakeRx: ZmqSocket;
  readonly #wakeTx: ZmqSocket;
  readonly #poller = new Poller(4);
  readonly #onError: (error: unknown) => void;
  readonly #ctx: ZmqContext;
  readonly #active: LoopEntry[] = [];
  readonly #done: Promise<void>;
  #inFlight = false;
  #woken = false;
  #closing = false;

  constructor(
    ctx: ZmqContext,
    options: {
      entries: readonly LoopEntry[];
      onError: (error: unknown) => void;
    },
  ) {
    this.#entries = options.entries;
    this.#onError = options.onError;
    this.#ctx = ctx;
    const endpoint =
      `inproc://condure-zmq-waker-${++wakerCount}-${crypto.randomUUID()}`;
    this.#wakeRx = ctx.socket(SocketType.PAIR);
    this.#wakeTx = ctx.socket(SocketType.PAIR);
    try {
      this.#wakeRx.bind(endpoint);
      this.#wakeTx.connect(endpoint);
    } catch (error) {
      closeNow(this.#wakeRx);
      closeNow(this.#wakeTx);
      throw error;
    }
    this.#done = this.#run();
  }

  /** Settles when the loop has ended and its waker sockets are closed. */
  get done(): Promise<void> {
    return this.#done;
  }

  /** Makes the in-flight poll (if any) return now so the loop re-polls. */
  wake(): void {
    if (!this.#inFlight || this.#woken) return;
    this.#woken = true;
    try {
      this.#wakeTx.trySend(WAKE);
    } catch {
      // context shut down: the poll returns with ETERM anyway
    }
  }

  /** Ends the loop (waking its poll) and waits for it. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.wake();
    }
    return this.#done;
  }

  /**
   * Passes `error` on, except the ends of a context being closed: ETERM, and ENOTSOCK from
   * a socket the context's close has just closed under a poll that had already returned.
   */
  #report(error: unknown): void {
    if (
      error instanceof ZmqError &&
      (error.errno === ETERM ||
        (error.errno === Errno.ENOTSOCK && this.#ctx.closed))
    ) return;
    this.#onError(error);
  }

  async #run(): Promise<void> {
    const poller = this.#poller;
    const active = this.#active;
    try {
      while (!this.#closing) {
        poller.reset();
        active.length = 0;
        poller.add(this.#wakeRx, POLLIN);
        for (const entry of this.#entries) {
          let events = entry.onReadable ? POLLIN : 0;
          if (entry.hasPending?.()) events |= POLLOUT;
          if (events !== 0) {
            poller.add(entry.socket, events);
            active.push(entry);
          } else if (entry.onSignal) {
            poller.addFd(entry.socket.fd, POLLIN);
            active.push(entry);
          }
        }
        this.#inFlight = true;
        try {
          await poller.wait(-1);
        } finally {
          this.#inFlight = false;
        }
        if (poller.revents(0) & POLLIN) {
          while (this.#wakeRx.tryReceive() !== null) {
            // drain wake-ups
          }
        }
        this.#woken = false;
        for (let i = 0; i < active.length && !this.#closing; i++) {
          const revents = poller.revents(i + 1);
          if (revents === 0) continue;
          const entry = active[i]!;
          try {
            if (poller.isFd(i + 1)) {
              entry.onSignal!();
              continue;
            }
            if (revents & POLLIN) entry.onReadable?.();
            if (revents & POLLOUT && !this.#closing) entry.onWritable?.();
          } catch (error) {
            this.#report(error);
          }
        }
      }
    } catch (error) {
      this.#report(error);
    } finally {
      this.#closing = true;
      poller.close();
      closeNow(this.#wakeTx);
      closeNow(this.#wakeRx);
    }
  }
}
