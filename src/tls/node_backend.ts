/**
 * The TLS engine that can pick a certificate per SNI name: `node:tls` (in Deno 2.9 a
 * native rustls `TLSWrap` on a native TCP handle), whose `SNICallback` runs for every
 * handshake and may answer asynchronously from the {@linkcode IdentityStore}.
 *
 * @module
 */

import type { Socket } from "node:net";
import tls from "node:tls";
import {
  ALPN_PROTOCOLS,
  type BackendOptions,
  type TlsBackend,
} from "./backend.ts";
import type { IdentityStore } from "./identity_store.ts";
import { TlsStream } from "./tls_stream.ts";

/** Bind errors worded as Rust's `io::Error` words them (Condure's and `Deno.listen`'s text). */
const OS_ERRORS: Record<string, [number, string]> = {
  EADDRINUSE: [98, "Address already in use"],
  EADDRNOTAVAIL: [99, "Cannot assign requested address"],
  EACCES: [13, "Permission denied"],
};

/**
 * `node:net`'s `listen EADDRINUSE: address already in use 127.0.0.1:8443` as
 * `Address already in use (os error 98)`; other errors unchanged.
 */
function asOsError(err: Error): Error {
  const known = OS_ERRORS[(err as { code?: string }).code ?? ""];
  return known === undefined
    ? err
    : new Error(`${known[1]} (os error ${known[0]})`, { cause: err });
}

let noIdentity: tls.SecureContext | null = null;

/** A context without a certificate: rustls answers the ClientHello with a fatal alert. */
function noIdentityContext(): tls.SecureContext {
  return noIdentity ??= tls.createSecureContext({});
}

/**
 * Binds `address` with `node:tls`, choosing each handshake's certificate from `store`
 * by SNI name (then `defaultCert`); with no identity the handshake fails with a fatal
 * alert. Accepted sockets get TCP_NODELAY and SO_KEEPALIVE.
 *
 * @throws the bind error (e.g. `EADDRINUSE`) as the promise's rejection.
 *
 * @example
 * ```ts ignore
 * const backend = await listenNodeTls({ hostname: "127.0.0.1", port: 0 }, store, "default", {
 *   reusePort: false,
 *   handshakeTimeoutMs: 10_000,
 *   deliver: (stream) => serve(stream),
 * });
 * ```
 */
export function listenNodeTls(
  address: { hostname: string; port: number },
  store: IdentityStore,
  defaultCert: string | undefined,
  options: BackendOptions,
): Promise<TlsBackend> {
  const backend = new NodeTlsBackend(store, defaultCert, options);
  return backend.listen(address);
}

class NodeTlsBackend implements TlsBackend {
  readonly #server: tls.Server;
  readonly #options: BackendOptions;
  /** Sockets handshaking, by `address|port` (the TLS socket is not the TCP one). */
  readonly #handshakes = new Map<
    string,
    { socket: Socket; timer: ReturnType<typeof setTimeout> }
  >();
  #addr: Deno.NetAddr = { transport: "tcp", hostname: "", port: 0 };
  /** No longer listening (handshakes in progress go on). */
  #retired = false;
  /** Retired and handshakes dropped. */
  #closed = false;

  constructor(
    store: IdentityStore,
    defaultCert: string | undefined,
    options: BackendOptions,
  ) {
    this.#options = options;
    const onError = options.onError;
    this.#server = tls.createServer({
      minVersion: "TLSv1.2",
      ALPNProtocols: [...ALPN_PROTOCOLS],
      allowHalfOpen: true,
      handshakeTimeout: options.handshakeTimeoutMs,
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
      onError?.(`tls handshake failed: ${err.message}`);
      socket.destroy();
    });
  }

  listen(address: { hostname: string; port: number }): Promise<TlsBackend> {
    return new Promise((resolve, reject) => {
      const onListenError = (err: Error) => reject(asOsError(err));
      this.#server.once("error", onListenError);
      this.#server.listen(
        {
          host: address.hostname,
          port: address.port,
          reusePort: this.#options.reusePort,
        },
        () => {
          this.#server.off("error", onListenError);
          this.#server.on("error", (err: Error) => {
            this.#options.onError?.(`tls listener: ${err.message}`);
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

  get handshaking(): number {
    return this.#handshakes.size;
  }

  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    this.#server.close();
  }

  close(): void {
    if (this.#closed) return;
    this.retire();
    this.#closed = true;
    for (const { socket, timer } of this.#handshakes.values()) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.#handshakes.clear();
  }

  #onTcp(socket: Socket): void {
    socket.on("error", () => {}); // reported through tlsClientError
    if (this.#retired || socket.remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const timer = setTimeout(() => {
      this.#options.onError?.("tls handshake timed out");
      socket.destroy();
    }, this.#options.handshakeTimeoutMs);
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
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
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#options.deliver(new TlsStream(socket));
  }
}
