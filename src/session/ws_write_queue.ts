/**
 * Handler → client flow control of a WebSocket session: the body bytes the handler may still
 * send (its credits, returned as bytes reach the client), the messages queued toward the
 * client, and the `--messages-max` check.
 *
 * Condure writes to the socket between packets, so only a stalled client makes messages pile
 * up there. Here a whole batch of packets is handled before any write completes, so the limit
 * is enforced when the client makes no write progress for a timer tick (a stalled client);
 * while writes progress, only the hard bound of `messagesMax + bufferSize` queued messages
 * applies (a handler respecting its credits cannot exceed it with non-empty messages).
 *
 * @module
 */

/**
 * Queued handler messages and the handler's room, for one WebSocket session.
 *
 * @example
 * ```ts
 * import { WsWriteQueue } from "./ws_write_queue.ts";
 * const q = new WsWriteQueue({ bufferSize: 10, messagesMax: 1 });
 * if (q.reserve(4, true) !== null) throw new Error();
 * q.pushWrite(true); // the write that carries the whole message
 * q.written(4);
 * if (q.room !== 10 || q.overLimit) throw new Error();
 * ```
 */
export class WsWriteQueue {
  readonly #bufferSize: number;
  readonly #messagesMax: number;
  readonly #onWake: (() => void) | undefined;
  /** Handler → client bytes the handler may still send. */
  #room: number;
  #queued = 0;
  /** Writes completed so far, and at the last tick: no change = the client is stalled. */
  #writesDone = 0;
  #writesDoneAtTick = 0;
  /** Per pending write: whether it completes a queued message. */
  #endsMessage: boolean[] = [];
  #head = 0;

  /**
   * An empty queue: the handler may send `bufferSize` bytes; `onWake` is called when more
   * than `messagesMax` messages become queued.
   */
  constructor(
    options: { bufferSize: number; messagesMax: number; onWake?: () => void },
  ) {
    this.#bufferSize = options.bufferSize;
    this.#messagesMax = options.messagesMax;
    this.#onWake = options.onWake;
    this.#room = options.bufferSize;
  }

  /** Bytes the handler may still send. */
  get room(): number {
    return this.#room;
  }

  /** Whether more than `messagesMax` messages are queued. */
  get overLimit(): boolean {
    return this.#queued > this.#messagesMax;
  }

  /**
   * Reserves `n` handler bytes (and, for a `newMessage`, a message slot): null, or the detail
   * of the session error when the handler overran its credits or the hard message bound.
   */
  reserve(n: number, newMessage: boolean): string | null {
    if (n > this.#room) return "received too much data from handler";
    if (newMessage) {
      if (this.#queued >= this.#messagesMax + this.#bufferSize) {
        return "too many messages queued";
      }
      this.#queued++;
      if (this.#queued === this.#messagesMax + 1) this.#onWake?.();
    }
    this.#room -= n;
    return null;
  }

  /** A write to the client was queued; `endsMessage`: it completes a queued message. */
  pushWrite(endsMessage: boolean): void {
    this.#endsMessage.push(endsMessage);
  }

  /** The oldest pending write, carrying `bodyBytes` handler bytes, reached the client. */
  written(bodyBytes: number): void {
    this.#writesDone++;
    const ends = this.#endsMessage[this.#head++] ?? false;
    if (this.#head === this.#endsMessage.length) {
      this.#endsMessage.length = 0;
      this.#head = 0;
    }
    if (ends) this.#queued--;
    this.#room += bodyBytes;
  }

  /**
   * Timer check: whether too many messages are queued and the client made no write progress
   * since the last check.
   */
  stalledOverLimit(): boolean {
    const stalled = this.#writesDone === this.#writesDoneAtTick;
    this.#writesDoneAtTick = this.#writesDone;
    return stalled && this.#queued > this.#messagesMax;
  }
}
