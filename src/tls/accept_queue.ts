/**
 * The queue between a TLS listener's handshakes and `accept()`.
 *
 * @module
 */

/**
 * Handshaken connections waiting for `accept()`, bounded: beyond `max` waiting, new ones
 * are closed at once. `close()` closes the waiting ones and rejects pending and later
 * `accept()` calls with `Deno.errors.BadResource`.
 *
 * @example
 * ```ts
 * import { AcceptQueue } from "./accept_queue.ts";
 * const queue = new AcceptQueue<{ close(): void }>(1);
 * const next = queue.accept();
 * queue.push({ close() {} });
 * await next;
 * queue.close();
 * ```
 */
export class AcceptQueue<T extends { close(): void }> {
  readonly #max: number;
  #ready: T[] = [];
  #waiters: Array<
    { resolve: (item: T) => void; reject: (e: unknown) => void }
  > = [];
  #closed = false;

  /** A queue holding at most `max` items nobody waits for. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Hands `item` to a waiting `accept()` or queues it; closes it when full or closed. */
  push(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve(item);
    } else if (this.#closed || this.#ready.length >= this.#max) {
      item.close();
    } else {
      this.#ready.push(item);
    }
  }

  /** The next item. Rejects with `Deno.errors.BadResource` once closed. */
  accept(): Promise<T> {
    const item = this.#ready.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.#closed) {
      return Promise.reject(new Deno.errors.BadResource("Listener closed"));
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** Closes the queued items and fails the waiters. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const item of this.#ready) item.close();
    this.#ready = [];
    const err = new Deno.errors.BadResource("Listener closed");
    for (const w of this.#waiters) w.reject(err);
    this.#waiters = [];
  }
}
