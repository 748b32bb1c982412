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
  /**
   * The connection is closed and no read targets the session's buffers any more (called
   * once, after the close).
   */
  release?(): void;
}

/**
 * Callbacks of the owner of a connection. One hooks object can serve every connection of a
 * worker: each call says which connection it is about.
 */
export interface ConnectionHooks {
  /** The session threw while handling an event: a bug, contained to this connection. */
  onError(error: unknown, io: ClientConnection): void;
  /** The connection was closed (called once). */
  onClosed?(io: ClientConnection): void;
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
 * const io = new ClientConnection(conn, { onError: (e) => console.error(e) }, () => console.log("closed"));
 * io.attach(session);
 * ```
 */
export class ClientConnection implements ClientIo {
  readonly #conn: ByteStream;
  readonly #onClosed: (() => void) | undefined;
  readonly #hooks: ConnectionHooks;
  #session: ConnectionSession | null = null;
  #wantRead = false;
  #reading = false;
  #queue: PendingWrite[] = [];
  #writing = false;
  #closeAfterWrites = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #released = false;
  // one pair of read callbacks per connection (an idle connection's pending read holds them)
  readonly #readDone = (n: number | null) => this.#onReadDone(n);
  readonly #readFailed = () => this.#onReadDone(null);

  /**
   * Wraps `conn`; `hooks.onClosed` (and `onClosed`, if given) run once when the connection is
   * closed.
   */
  constructor(
    conn: ByteStream,
    hooks: ConnectionHooks,
    onClosed?: () => void,
  ) {
    this.#conn = conn;
    this.#hooks = hooks;
    this.#onClosed = onClosed;
  }

  /** Connects the session that consumes this connection. */
  attach(session: ConnectionSession): void {
    this.#session = session;
  }

  /** The attached session. */
  get session(): ConnectionSession | null {
    return this.#session;
  }

  /** Whether the connection is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  setReading(on: boolean): void {
    this.#wantRead = on;
    if (on && !this.#reading && !this.#closed) this.#readNext();
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
    this.#hooks.onClosed?.(this);
    this.#onClosed?.();
    if (!this.#reading) this.#release();
  }

  /** Hands the session's buffers back once closed and no read targets them. */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      this.#session?.release?.();
    } catch (e) {
      this.#hooks.onError(e, this);
    }
  }

  /**
   * Starts one read into the session's target. Reads are chained through two callbacks made
   * once per connection rather than an async loop: an idle connection's pending read then
   * holds no suspended generator, context or extra promises.
   */
  #readNext(): void {
    const session = this.#session!;
    let target: Uint8Array;
    try {
      target = session.readTarget();
    } catch (e) {
      this.#hooks.onError(e, this);
      this.#finish();
      return;
    }
    if (target.length === 0) return;
    this.#reading = true;
    this.#conn.read(target).then(this.#readDone, this.#readFailed);
  }

  #onReadDone(n: number | null): void {
    // #reading stays set while the session handles the result, so that it cannot start a
    // read (and move its buffers) from inside its own callback; the next read starts after.
    if (!this.#closed) {
      const session = this.#session!;
      try {
        if (n === null) {
          // EOF, or reset by peer and the like: the same for the session
          this.#wantRead = false;
          session.onEof();
        } else {
          session.onRead(n);
        }
      } catch (e) {
        this.#hooks.onError(e, this);
        this.#finish();
      }
    }
    this.#reading = false;
    if (this.#closed) {
      this.#release();
      return;
    }
    if (this.#wantRead) this.#readNext();
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
      this.#hooks.onError(e, this);
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
