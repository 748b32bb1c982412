/**
 * TLS listeners with per-host certificates, built on `node:tls`.
 *
 * Why `node:tls` and not `Deno.listenTls`: in Deno 2.9 `node:tls` is a native rustls
 * `TLSWrap` on a native TCP handle whose `SNICallback` runs for every handshake and may
 * answer asynchronously, and `node:net` binds with `reusePort` (SO_REUSEPORT) so that every
 * worker isolate can serve the same port. `Deno.listenTls` has only an internal SNI
 * resolver (`Symbol.for("unstableSniResolver")`) whose answers, failures included, are
 * cached per name for the listener's lifetime: rotated files would never be seen, a name
 * looked up before its files existed would stay refused, and every distinct SNI name sent
 * by clients would stay in memory. Measured on this machine (one core each side, trivial
 * keep-alive responder): full handshakes/s are within 10% of each other, keep-alive
 * requests/s are ~20% lower with `node:tls` (46k vs 57k).
 *
 * TLS versions and ciphers are rustls's defaults: TLS 1.2 and 1.3 only, AEAD suites only
 * (AES-GCM, ChaCha20-Poly1305) with ECDHE. ALPN offers `http/1.1`.
 *
 * @module
 */

import type { Socket } from "node:net";
import tls from "node:tls";
import type { ListenSpec } from "../cli/mod.ts";
import { IdentityStore } from "./identity_store.ts";
import { TlsStream } from "./tls_stream.ts";

/** Longest time from TCP accept to the end of the TLS handshake. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Handshaken connections waiting for `accept()`; more are dropped. */
export const ACCEPT_QUEUE_MAX = 1024;
/** The ALPN protocols offered. */
export const ALPN_PROTOCOLS: readonly string[] = ["http/1.1"];

/** Options of {@linkcode listenTls}. */
export interface TlsListenOptions {
  /** Directory of `<name>.crt`/`<name>.key` pairs (`--tls-identities-dir`). */
  identitiesDir: string;
  /** Bind with SO_REUSEPORT so that several isolates can serve the port. */
  reusePort?: boolean;
  /** Identity cache to share between listeners (else one is made for `identitiesDir`). */
  identities?: IdentityStore;
  /** Handshake deadline (default {@linkcode HANDSHAKE_TIMEOUT_MS}). */
  handshakeTimeoutMs?: number;
  /** Accept queue bound (default {@linkcode ACCEPT_QUEUE_MAX}). */
  acceptQueueMax?: number;
  /** Told why a handshake failed or an identity could not be used (for debug logs). */
  onError?: (message: string) => void;
}

/**
 * A listening TLS port. `accept()` yields connections whose handshake has completed.
 *
 * @example
 * ```ts ignore
 * const listener = await listenTls(spec, { identitiesDir: "/etc/certs" });
 * const stream = await listener.accept();
 * ```
 */
export interface TlsListener extends Disposable {
  /** The bound address (with the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /**
   * The next handshaken connection. Rejects with `Deno.errors.BadResource` once the
   * listener is closed.
   */
  accept(): Promise<TlsStream>;
  /**
   * Stops listening, drops connections not accepted yet (handshaking or queued); accepted
   * ones are untouched. Idempotent.
   */
  close(): void;
}

interface Handshake {
  socket: Socket;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Listens for TLS on a TCP `spec` (`tls` and `default-cert=` listen params). The
 * certificate is chosen per handshake from the SNI name (see {@linkcode IdentityStore});
 * with no identity the handshake fails with a fatal alert and the listener carries on.
 * Handshakes that fail, stall longer than the deadline, or get garbage or a reset are
 * dropped without affecting other connections. Accepted sockets get TCP_NODELAY and
 * SO_KEEPALIVE.
 *
 * @throws {TypeError} when `spec` is not a TCP address.
 * @throws the bind error (e.g. `EADDRINUSE`) as the promise's rejection.
 *
 * @example
 * ```ts
 * import { listenTls } from "./listener.ts";
 * const listener = await listenTls(
 *   { address: { kind: "tcp", hostname: "127.0.0.1", port: 0 }, mode: "stream", tls: true },
 *   { identitiesDir: Deno.makeTempDirSync() },
 * );
 * if (listener.addr.port === 0) throw new Error();
 * listener.close();
 * ```
 */
export function listenTls(
  spec: ListenSpec,
  options: TlsListenOptions,
): Promise<TlsListener> {
  if (spec.address.kind !== "tcp") {
    return Promise.reject(new TypeError("TLS needs a TCP listen address"));
  }
  return NodeTlsListener.open(spec.address, spec.defaultCert, options);
}

let noIdentity: tls.SecureContext | null = null;

/** A context without a certificate: rustls answers the ClientHello with a fatal alert. */
function noIdentityContext(): tls.SecureContext {
  return noIdentity ??= tls.createSecureContext({});
}

class NodeTlsListener implements TlsListener {
  readonly #server: tls.Server;
  readonly #handshakeTimeoutMs: number;
  readonly #acceptQueueMax: number;
  readonly #onError: ((message: string) => void) | undefined;
  readonly #handshakes = new Map<string, Handshake>();
  #ready: TlsStream[] = [];
  #waiters: Array<{
    resolve: (s: TlsStream) => void;
    reject: (e: unknown) => void;
  }> = [];
  #addr: Deno.NetAddr = { transport: "tcp", hostname: "", port: 0 };
  #closed = false;

  static open(
    address: { hostname: string; port: number },
    defaultCert: string | undefined,
    options: TlsListenOptions,
  ): Promise<TlsListener> {
    const listener = new NodeTlsListener(defaultCert, options);
    return listener.#listen(address, options.reusePort ?? false);
  }

  private constructor(
    defaultCert: string | undefined,
    options: TlsListenOptions,
  ) {
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ??
      HANDSHAKE_TIMEOUT_MS;
    this.#acceptQueueMax = options.acceptQueueMax ?? ACCEPT_QUEUE_MAX;
    const onError = options.onError;
    this.#onError = onError;
    const store = options.identities ??
      new IdentityStore(
        options.identitiesDir,
        onError === undefined ? {} : { onError },
      );
    this.#server = tls.createServer({
      minVersion: "TLSv1.2",
      ALPNProtocols: [...ALPN_PROTOCOLS],
      allowHalfOpen: true,
      handshakeTimeout: this.#handshakeTimeoutMs,
      SNICallback: (servername, cb) => {
        store.lookup(servername, defaultCert).then(
          (context) => {
            if (context === null) {
              onError?.(`tls: no identity for server name "${servername}"`);
            }
            cb(null, context ?? noIdentityContext());
          },
          () => cb(null, noIdentityContext()),
        );
      },
    });
    this.#server.on("connection", (socket: Socket) => this.#onTcp(socket));
    this.#server.on(
      "secureConnection",
      (socket: tls.TLSSocket) => this.#onSecure(socket),
    );
    this.#server.on("tlsClientError", (err: Error, socket: tls.TLSSocket) => {
      this.#onError?.(`tls handshake failed: ${err.message}`);
      socket.destroy();
    });
  }

  #listen(
    address: { hostname: string; port: number },
    reusePort: boolean,
  ): Promise<TlsListener> {
    return new Promise((resolve, reject) => {
      const onListenError = (err: Error) => reject(err);
      this.#server.once("error", onListenError);
      this.#server.listen(
        { host: address.hostname, port: address.port, reusePort },
        () => {
          this.#server.off("error", onListenError);
          this.#server.on("error", (err: Error) => {
            this.#onError?.(`tls listener: ${err.message}`);
          });
          const a = this.#server.address();
          if (a !== null && typeof a === "object") {
            this.#addr = {
              transport: "tcp",
              hostname: a.address,
              port: a.port,
            };
          }
          resolve(this);
        },
      );
    });
  }

  get addr(): Deno.NetAddr {
    return this.#addr;
  }

  accept(): Promise<TlsStream> {
    const stream = this.#ready.shift();
    if (stream !== undefined) return Promise.resolve(stream);
    if (this.#closed) {
      return Promise.reject(new Deno.errors.BadResource("Listener closed"));
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const h of this.#handshakes.values()) {
      clearTimeout(h.timer);
      h.socket.destroy();
    }
    this.#handshakes.clear();
    for (const s of this.#ready) s.close();
    this.#ready = [];
    const err = new Deno.errors.BadResource("Listener closed");
    for (const w of this.#waiters) w.reject(err);
    this.#waiters = [];
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #onTcp(socket: Socket): void {
    socket.on("error", () => {}); // reported through tlsClientError
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    if (this.#closed || socket.remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const timer = setTimeout(() => {
      this.#onError?.("tls handshake timed out");
      socket.destroy();
    }, this.#handshakeTimeoutMs);
    this.#handshakes.set(key, { socket, timer });
    socket.once("close", () => {
      clearTimeout(timer);
      if (this.#handshakes.get(key)?.socket === socket) {
        this.#handshakes.delete(key);
      }
    });
  }

  #onSecure(socket: tls.TLSSocket): void {
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    const handshake = this.#handshakes.get(key);
    if (handshake !== undefined) {
      clearTimeout(handshake.timer);
      this.#handshakes.delete(key);
    }
    if (this.#closed || this.#ready.length >= this.#acceptQueueMax) {
      socket.destroy();
      return;
    }
    const stream = new TlsStream(socket);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve(stream);
    else this.#ready.push(stream);
  }
}
