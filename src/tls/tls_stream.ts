/**
 * A {@linkcode ByteStream} over an established `node:tls` server socket.
 *
 * @module
 */

import type tls from "node:tls";
import type { ByteStream } from "./byte_stream.ts";

/** Received bytes buffered before the socket is paused (backpressure towards the peer). */
export const READ_HIGH_WATER = 64 * 1024;
/** Longest wait for the peer to take our close_notify before the socket is destroyed. */
export const CLOSE_TIMEOUT_MS = 5000;

interface PendingRead {
  target: Uint8Array;
  resolve: (n: number | null) => void;
  reject: (e: unknown) => void;
}

/**
 * Pull-based reads over a push-based `node:tls` socket: `data` chunks are queued (the
 * socket is paused while {@linkcode READ_HIGH_WATER} bytes wait) and copied into the
 * caller's buffer on `read()`. `write()` resolves when the TLS layer has taken the bytes,
 * so the caller may reuse its buffer. `close()` sends close_notify once pending writes are
 * done (or destroys the socket at once if writes are still pending).
 *
 * @example
 * ```ts ignore
 * const stream = new TlsStream(secureSocket);
 * const n = await stream.read(new Uint8Array(4096));
 * ```
 */
export class TlsStream implements ByteStream {
  readonly #socket: tls.TLSSocket;
  readonly #remoteAddr: Deno.NetAddr;
  readonly #alpnProtocol: string | null;
  readonly #serverName: string | null;
  #chunks: Uint8Array[] = [];
  #head = 0;
  #queued = 0;
  #paused = false;
  #ended = false;
  #error: unknown = null;
  #closed = false;
  #pendingRead: PendingRead | null = null;
  #pendingWrites = 0;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Adopts an established (secure) server socket. */
  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    this.#remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    this.#alpnProtocol = typeof socket.alpnProtocol === "string"
      ? socket.alpnProtocol
      : null;
    const name = (socket as { servername?: unknown }).servername;
    this.#serverName = typeof name === "string" && name !== "" ? name : null;
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("end", () => this.#onEnd(null));
    socket.on("error", (e: unknown) => this.#onEnd(e));
    socket.on("close", () => {
      clearTimeout(this.#closeTimer);
      this.#closed = true;
      this.#onEnd(null);
    });
  }

  /** The peer's address. */
  get remoteAddr(): Deno.NetAddr {
    return this.#remoteAddr;
  }

  /** The ALPN protocol agreed on (`"http/1.1"`), or `null` if the client offered none. */
  get alpnProtocol(): string | null {
    return this.#alpnProtocol;
  }

  /** The SNI name the client sent, or `null`. */
  get serverName(): string | null {
    return this.#serverName;
  }

  read(p: Uint8Array): Promise<number | null> {
    if (this.#pendingRead !== null) {
      return Promise.reject(new Deno.errors.Busy("read already pending"));
    }
    if (this.#head < this.#chunks.length) {
      return Promise.resolve(this.#take(p));
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#ended || this.#closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#pendingRead = { target: p, resolve, reject };
    });
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#closed || this.#socket.destroyed) {
      return Promise.reject(new Deno.errors.BrokenPipe("connection closed"));
    }
    this.#pendingWrites++;
    return new Promise((resolve, reject) => {
      this.#socket.write(p, (err) => {
        this.#pendingWrites--;
        if (err) reject(err);
        else resolve(p.length);
      });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    this.#head = 0;
    this.#queued = 0;
    this.#onEnd(null);
    const socket = this.#socket;
    if (socket.destroyed) return;
    if (this.#pendingWrites > 0) {
      socket.destroy();
      return;
    }
    // Keep draining (and dropping) input so the peer's close can arrive.
    if (this.#paused) socket.resume();
    socket.end(() => socket.destroy());
    this.#closeTimer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
  }

  #take(p: Uint8Array): number {
    let n = 0;
    while (n < p.length && this.#head < this.#chunks.length) {
      const chunk = this.#chunks[this.#head]!;
      const room = p.length - n;
      if (chunk.length <= room) {
        p.set(chunk, n);
        n += chunk.length;
        this.#chunks[this.#head++] = EMPTY;
      } else {
        p.set(chunk.subarray(0, room), n);
        n += room;
        this.#chunks[this.#head] = chunk.subarray(room);
      }
    }
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0;
      this.#head = 0;
    }
    this.#queued -= n;
    if (this.#paused && this.#queued < READ_HIGH_WATER) {
      this.#paused = false;
      this.#socket.resume();
    }
    return n;
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    const pending = this.#pendingRead;
    if (pending !== null) {
      this.#pendingRead = null;
      pending.resolve(this.#take(pending.target));
    }
    if (!this.#paused && this.#queued >= READ_HIGH_WATER) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #onEnd(error: unknown): void {
    if (error !== null && this.#error === null && !this.#ended) {
      this.#error = error;
    }
    this.#ended = true;
    const pending = this.#pendingRead;
    if (pending === null) return;
    this.#pendingRead = null;
    if (this.#error !== null && !this.#closed) pending.reject(this.#error);
    else pending.resolve(null);
  }
}

const EMPTY = new Uint8Array(0);
