/**
 * The fast TLS engine for a port whose every handshake gets the same certificate:
 * `Deno.listenTls` (rustls with one shared server configuration and session cache).
 * Measured here with a new connection per request it costs about half the CPU of a
 * `node:tls` handshake, but it cannot choose a certificate per SNI name cheaply, so the
 * port switches to it only while the identities directory has nothing but the
 * `default-cert` pair (see `listener.ts`).
 *
 * @module
 */

import {
  ALPN_PROTOCOLS,
  type BackendOptions,
  type TlsBackend,
} from "./backend.ts";
import type { TlsByteStream } from "./byte_stream.ts";
import {
  type ConnectionEnds,
  shutdownConnections,
  tuneListeners,
} from "./socket_fd.ts";

/**
 * A certificate chain and its private key, PEM.
 *
 * @example
 * ```ts ignore
 * const identity: Identity = {
 *   cert: await Deno.readTextFile("certs/site.crt"),
 *   key: await Deno.readTextFile("certs/site.key"),
 * };
 * ```
 */
export interface Identity {
  /** The certificate chain (PEM). */
  cert: string;
  /** The private key (PEM). */
  key: string;
}

/**
 * Binds `address` with `Deno.listenTls` serving `identity` to every client. Accepted
 * sockets get TCP_NODELAY and SO_KEEPALIVE (set on the listening socket, inherited).
 * A handshake that fails is dropped; one that overruns the deadline has its socket shut
 * down (Deno would otherwise keep it until the peer speaks).
 *
 * @throws the bind error (e.g. `Deno.errors.AddrInUse`) or a certificate/key error.
 *
 * @example
 * ```ts ignore
 * const backend = listenSingleIdentity({ hostname: "127.0.0.1", port: 0 }, identity, {
 *   reusePort: false,
 *   handshakeTimeoutMs: 10_000,
 *   deliver: (stream) => serve(stream),
 * });
 * ```
 */
export function listenSingleIdentity(
  address: { hostname: string; port: number },
  identity: Identity,
  options: BackendOptions,
): TlsBackend {
  const listener = Deno.listenTls({
    hostname: address.hostname,
    port: address.port,
    reusePort: options.reusePort,
    cert: identity.cert,
    key: identity.key,
    alpnProtocols: [...ALPN_PROTOCOLS],
  });
  tuneListeners(listener.addr);
  return new SingleIdentityBackend(listener, options);
}

class SingleIdentityBackend implements TlsBackend {
  readonly #listener: Deno.TlsListener;
  readonly #options: BackendOptions;
  /** Connections handshaking, with their deadlines (insertion order = deadline order). */
  readonly #pending = new Map<Deno.TlsConn, number>();
  readonly #sweepMs: number;
  #sweep: ReturnType<typeof setInterval> | undefined;
  /** No longer listening (handshakes in progress go on). */
  #retired = false;
  /** Retired and handshakes dropped. */
  #closed = false;

  constructor(listener: Deno.TlsListener, options: BackendOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#sweepMs = Math.min(
      1000,
      Math.max(10, Math.floor(options.handshakeTimeoutMs / 4)),
    );
    void this.#acceptLoop();
  }

  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  get handshaking(): number {
    return this.#pending.size;
  }

  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
  }

  close(): void {
    if (this.#closed) return;
    this.retire();
    this.#closed = true;
    this.#drop([...this.#pending.keys()]);
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#retired) {
      let conn: Deno.TlsConn;
      try {
        conn = await this.#listener.accept();
      } catch (e) {
        if (this.#retired) return;
        this.#options.onError?.(
          `tls accept: ${e instanceof Error ? e.message : String(e)}`,
        );
        // e.g. EMFILE: back off instead of spinning on a failing accept
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (this.#retired) {
        closeQuietly(conn);
        return;
      }
      this.#handshake(conn);
    }
  }

  #handshake(conn: Deno.TlsConn): void {
    this.#pending.set(
      conn,
      performance.now() + this.#options.handshakeTimeoutMs,
    );
    this.#sweep ??= setInterval(() => this.#expire(), this.#sweepMs);
    conn.handshake().then(
      (info) => {
        if (!this.#settle(conn)) return;
        this.#options.deliver(new DenoTlsStream(conn, info.alpnProtocol));
      },
      (e: unknown) => {
        if (!this.#settle(conn)) return;
        this.#options.onError?.(
          `tls handshake failed: ${e instanceof Error ? e.message : String(e)}`,
        );
        closeQuietly(conn);
      },
    );
  }

  /** Ends the wait for `conn`'s handshake; false if it was already dropped. */
  #settle(conn: Deno.TlsConn): boolean {
    if (!this.#pending.delete(conn)) return false;
    if (this.#pending.size === 0) this.#stopSweep();
    return true;
  }

  #expire(): void {
    const now = performance.now();
    const expired: Deno.TlsConn[] = [];
    for (const [conn, deadline] of this.#pending) {
      if (deadline > now) break;
      expired.push(conn);
    }
    if (expired.length === 0) return;
    for (let i = 0; i < expired.length; i++) {
      this.#options.onError?.("tls handshake timed out");
    }
    this.#drop(expired);
  }

  /** Shuts down the sockets of handshaking `conns` (one fd scan), then closes them. */
  #drop(conns: Deno.TlsConn[]): void {
    const ends: ConnectionEnds[] = [];
    for (const conn of conns) {
      this.#pending.delete(conn);
      ends.push({ local: conn.localAddr, remote: conn.remoteAddr });
    }
    if (ends.length > 0) shutdownConnections(ends);
    for (const conn of conns) closeQuietly(conn);
    if (this.#pending.size === 0) this.#stopSweep();
  }

  #stopSweep(): void {
    if (this.#sweep === undefined) return;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/**
 * A handshaken `Deno.TlsConn` as a {@linkcode TlsByteStream}: reads and writes pass
 * straight through; `close()` (idempotent) sends close_notify and closes the socket.
 */
class DenoTlsStream implements TlsByteStream {
  readonly #conn: Deno.TlsConn;
  readonly alpnProtocol: string | null;
  readonly serverName: string | null = null;
  #closed = false;

  constructor(conn: Deno.TlsConn, alpnProtocol: string | null) {
    this.#conn = conn;
    this.alpnProtocol = alpnProtocol;
  }

  get remoteAddr(): Deno.NetAddr {
    return this.#conn.remoteAddr;
  }

  read(p: Uint8Array): Promise<number | null> {
    return this.#conn.read(p);
  }

  write(p: Uint8Array): Promise<number> {
    return this.#conn.write(p);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#conn);
  }
}
