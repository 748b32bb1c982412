/**
 * The client side of one session, shared by the session state machines: whether reading is
 * on, writes not yet flushed, and the stream-timeout deadline that client activity refreshes.
 *
 * @module
 */

import type { ClientIo, SessionHost } from "./host.ts";

/**
 * A session's view of its client connection.
 *
 * @example
 * ```ts
 * import { ClientSide } from "./client_side.ts";
 * const calls: boolean[] = [];
 * const io = { write: () => {}, setReading: (on: boolean) => void calls.push(on), close: () => {} };
 * const client = new ClientSide({ streamTimeoutMs: 1000, now: () => 5 }, io);
 * client.setReading(true);
 * client.setReading(true); // no change: io not called again
 * client.write(new Uint8Array(1), 0);
 * if (calls.length !== 1 || client.written() !== 0) throw new Error();
 * ```
 */
export class ClientSide {
  readonly #host: Pick<SessionHost, "streamTimeoutMs" | "now">;
  readonly #io: ClientIo;
  #reading = false;
  #pendingWrites = 0;
  /** The stream-timeout deadline, refreshed by {@linkcode touch}. */
  streamDeadline = 0;

  /** Wraps `io` for a session of `host`. */
  constructor(
    host: Pick<SessionHost, "streamTimeoutMs" | "now">,
    io: ClientIo,
  ) {
    this.#host = host;
    this.#io = io;
  }

  /** Writes queued and not yet reported flushed. */
  get pendingWrites(): number {
    return this.#pendingWrites;
  }

  /** Allows or stops reading (the connection is told only of changes). */
  setReading(on: boolean): void {
    if (on === this.#reading) return;
    this.#reading = on;
    this.#io.setReading(on);
  }

  /** Queues bytes for the client (see {@linkcode ClientIo.write}). */
  write(data: Uint8Array, bodyBytes: number): void {
    this.#pendingWrites++;
    this.#io.write(data, bodyBytes);
  }

  /** A write was flushed: returns the writes still pending. */
  written(): number {
    return --this.#pendingWrites;
  }

  /** Client activity: the stream timeout starts again. */
  touch(): void {
    this.streamDeadline = this.#host.now() + this.#host.streamTimeoutMs;
  }

  /** Closes the connection (flushing queued writes first when `graceful`). */
  close(graceful: boolean): void {
    this.#reading = false;
    this.#io.close(graceful);
  }
}
