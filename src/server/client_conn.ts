/**
 * Drives one accepted `Deno.Conn` for a session state machine: a read loop that runs only while
 * the session wants bytes, and a write queue that coalesces pending writes into one syscall.
 *
 * @module
 */

import type { ClientIo } from "../session/host.ts";
import type { ByteStream } from "../tls/mod.ts";

/** The part of a session the connection driver talks to. */
export interface ConnectionSession {
  /** Free space to read into (empty = buffer full). */
  readTarget(): Uint8Array;
  /** `n` bytes were read into the last target. */
  onRead(n: number): void;
  /** The client sent EOF. */
  onEof(): void;
  /** Writing failed; the client is gone. */
  onWriteError(): void;
  /** A write carrying `bodyBytes` handler body bytes completed. */
  onWritten(bodyBytes: number): void;
}

/** Callbacks of the owner of a connection. */
export interface ConnectionHooks {
  /** The session threw while handling an event: a bug, contained to this connection. */
  onError(error: unknown): void;
}

/** How long a graceful close waits for queued bytes to reach a client that does not read. */
export const CLOSE_FLUSH_MS = 5_000;

interface PendingWrite {
  data: Uint8Array;
  bodyBytes: number;
}

/**
 * {@linkcode ClientIo} over a Deno connection.
 *
 * @example
 * ```ts ignore
 * const io = new ClientConnection(conn, () => console.log("closed"));
 * io.attach(session);
 * ```
 */
export class ClientConnection implements ClientIo {
  readonly #conn: ByteStream;
  readonly #onClosed: () => void;
  readonly #hooks: ConnectionHooks;
  #session: ConnectionSession | null = null;
  #wantRead = false;
  #reading = false;
  #queue: PendingWrite[] = [];
  #writing = false;
  #closeAfterWrites = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** Wraps `conn`; `onClosed` runs once when the connection is closed. */
  constructor(conn: ByteStream, hooks: ConnectionHooks, onClosed: () => void) {
    this.#conn = conn;
    this.#hooks = hooks;
    this.#onClosed = onClosed;
  }

  /** Connects the session that consumes this connection. */
  attach(session: ConnectionSession): void {
    this.#session = session;
  }

  /** Whether the connection is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  setReading(on: boolean): void {
    this.#wantRead = on;
    if (on && !this.#reading && !this.#closed) void this.#readLoop();
  }

  write(data: Uint8Array, bodyBytes: number): void {
    if (this.#closed) return;
    this.#queue.push({ data, bodyBytes });
    if (!this.#writing) void this.#writeLoop();
  }

  close(graceful: boolean): void {
    if (this.#closed) return;
    if (graceful && (this.#writing || this.#queue.length > 0)) {
      this.#closeAfterWrites = true;
      this.#closeTimer ??= setTimeout(() => this.#finish(), CLOSE_FLUSH_MS);
      return;
    }
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#closeTimer);
    this.#queue = [];
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#onClosed();
  }

  async #readLoop(): Promise<void> {
    const session = this.#session!;
    this.#reading = true;
    try {
      while (this.#wantRead && !this.#closed) {
        const target = session.readTarget();
        if (target.length === 0) break;
        let n: number | null;
        try {
          n = await this.#conn.read(target);
        } catch {
          n = null; // reset by peer and the like: the same as EOF for the session
        }
        if (this.#closed) return;
        if (n === null) {
          this.#wantRead = false;
          session.onEof();
          return;
        }
        session.onRead(n);
      }
    } catch (e) {
      this.#hooks.onError(e);
      this.#finish();
    } finally {
      this.#reading = false;
    }
  }

  async #writeLoop(): Promise<void> {
    const session = this.#session!;
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const batch = this.#queue;
        this.#queue = [];
        const data = batch.length === 1 ? batch[0]!.data : concat(batch);
        let off = 0;
        try {
          while (off < data.length) {
            off += await this.#conn.write(
              off === 0 ? data : data.subarray(off),
            );
          }
        } catch {
          if (!this.#closed) {
            this.#writing = false;
            session.onWriteError();
            this.#finish();
          }
          return;
        }
        if (this.#closed) return;
        for (const w of batch) {
          session.onWritten(w.bodyBytes);
          if (this.#closed) return;
        }
      }
    } catch (e) {
      this.#hooks.onError(e);
      this.#finish();
      return;
    } finally {
      this.#writing = false;
    }
    if (this.#closeAfterWrites) this.#finish();
  }
}

function concat(batch: readonly PendingWrite[]): Uint8Array {
  let total = 0;
  for (const w of batch) total += w.data.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const w of batch) {
    out.set(w.data, off);
    off += w.data.length;
  }
  return out;
}
