/**
 * TLS listen ports with per-host certificates. Two engines serve a port, one at a time:
 *
 * - `Deno.listenTls` ({@linkcode listenSingleIdentity}) while every client would get the
 *   same certificate: the port has `default-cert=NAME` and the identities directory holds
 *   no complete `.crt`/`.key` pair but NAME's (then any SNI name, or none, resolves to that
 *   pair). It costs
 *   about half the CPU per new connection, which is what a port serving one site spends
 *   most on.
 * - `node:tls` ({@linkcode listenNodeTls}) otherwise: the certificate is chosen per
 *   handshake from the SNI name by the {@linkcode IdentityStore}.
 *
 * The directory is looked at again every {@linkcode IDENTITY_RECHECK_MS}; when the answer
 * changes (a pair added or removed, the default pair rotated) the port opens the right
 * engine on the same address and stops the old one listening (handshakes it has begun
 * still finish and are delivered). Such a port is always bound with SO_REUSEPORT, so the
 * new socket is bound before the old one stops (without `reusePort` a plain bind probes
 * first that nobody else holds the port). Connections still in the old socket's kernel
 * backlog at that moment are reset (Linux does not hand them over), so a rotation can
 * cost a client a retry.
 *
 * TLS versions and ciphers are rustls's defaults in both: TLS 1.2 and 1.3 only, AEAD
 * suites only (AES-GCM, ChaCha20-Poly1305) with ECDHE. ALPN offers `http/1.1`.
 *
 * @module
 */

import type { ListenSpec } from "../cli/mod.ts";
import { AcceptQueue } from "./accept_queue.ts";
import type { BackendOptions, TlsBackend } from "./backend.ts";
export { ALPN_PROTOCOLS } from "./backend.ts";
import type { TlsByteStream } from "./byte_stream.ts";
import { isSafeIdentityName } from "./identity_name.ts";
import {
  IDENTITY_RECHECK_MS,
  IdentityStore,
  pairSignature,
  readIdentityPair,
} from "./identity_store.ts";
import { listenNodeTls } from "./node_backend.ts";
import { type Identity, listenSingleIdentity } from "./single_identity.ts";
import { socketCallsAvailable } from "./socket_fd.ts";

/** Longest time from TCP accept to the end of the TLS handshake. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Handshaken connections waiting for `accept()`; more are dropped. */
export const ACCEPT_QUEUE_MAX = 1024;

/**
 * Options of {@linkcode listenTls}.
 *
 * @example
 * ```ts
 * import type { TlsListenOptions } from "./listener.ts";
 * const options: TlsListenOptions = { identitiesDir: "/etc/certs", reusePort: true };
 * ```
 */
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
  /**
   * How often the identities directory is looked at for a change of engine (default
   * {@linkcode IDENTITY_RECHECK_MS}).
   */
  recheckMs?: number;
  /**
   * Use `Deno.listenTls` while only the default pair exists (default true, where the libc
   * calls of `socket_fd.ts` are available); false keeps `node:tls` for every handshake.
   */
  singleIdentity?: boolean;
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
  /** Which engine serves the port now (see the module documentation). */
  readonly engine: "single-identity" | "sni";
  /**
   * The next handshaken connection. Rejects with `Deno.errors.BadResource` once the
   * listener is closed.
   */
  accept(): Promise<TlsByteStream>;
  /**
   * Stops listening, drops connections not accepted yet (handshaking or queued); accepted
   * ones are untouched. Idempotent.
   */
  close(): void;
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
  return TlsPort.open(spec.address, spec.defaultCert, options);
}

/**
 * Whether the single-identity engine may run: asked for (the default), and the socket calls
 * it needs to enforce the handshake deadline exist here (else `node:tls` serves the port).
 */
function singleIdentityUsable(options: TlsListenOptions): boolean {
  return (options.singleIdentity ?? true) && socketCallsAvailable();
}

/** The default pair when it is the only identity in `dir` and usable; else `null`. */
async function soleDefaultIdentity(
  dir: string,
  defaultCert: string,
  previous: LoadedIdentity | null,
): Promise<LoadedIdentity | null> {
  if (!isSafeIdentityName(defaultCert)) return null;
  // Another complete pair could be chosen for some SNI name; a lone `.crt` (a CA bundle, a
  // pair being written) cannot, until its `.key` appears.
  const crts = new Set<string>();
  const keys = new Set<string>();
  for await (const entry of Deno.readDir(dir)) {
    const name = entry.name;
    if (name.endsWith(".crt")) crts.add(name.slice(0, -4));
    else if (name.endsWith(".key")) keys.add(name.slice(0, -4));
  }
  for (const name of crts) {
    if (name !== defaultCert && keys.has(name)) return null;
  }
  const base = `${dir.endsWith("/") ? dir : `${dir}/`}${defaultCert}`;
  const signature = await pairSignature(base);
  if (signature === "") return null;
  if (previous !== null && previous.signature === signature) return previous;
  const pair = await readIdentityPair(base);
  return pair === null ? null : { signature, ...pair };
}

interface LoadedIdentity extends Identity {
  /** `stat` signature of the pair (see `pairSignature`). */
  signature: string;
}

class TlsPort implements TlsListener {
  readonly #hostname: string;
  readonly #defaultCert: string | undefined;
  readonly #dir: string;
  readonly #store: IdentityStore;
  readonly #queue: AcceptQueue<TlsByteStream>;
  readonly #backendOptions: BackendOptions;
  /** Whether the port may change engines (single-identity usable and a default-cert). */
  readonly #switching: boolean;
  readonly #onError: ((message: string) => void) | undefined;
  #backend: TlsBackend | null = null;
  /** Former backends whose handshakes in progress may still deliver. */
  readonly #retired = new Set<TlsBackend>();
  #identity: LoadedIdentity | null = null;
  /** Signature of a default pair `Deno.listenTls` refused (not tried again). */
  #refused = "";
  #port = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #checking = false;
  #closed = false;

  private constructor(
    hostname: string,
    defaultCert: string | undefined,
    switching: boolean,
    options: TlsListenOptions,
  ) {
    this.#hostname = hostname;
    this.#defaultCert = defaultCert;
    this.#switching = switching;
    this.#dir = options.identitiesDir;
    const onError = options.onError;
    this.#onError = onError;
    this.#store = options.identities ??
      new IdentityStore(
        options.identitiesDir,
        onError === undefined ? {} : { onError },
      );
    this.#queue = new AcceptQueue(options.acceptQueueMax ?? ACCEPT_QUEUE_MAX);
    this.#backendOptions = {
      reusePort: options.reusePort ?? false,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      deliver: (stream) => this.#queue.push(stream),
      ...(onError === undefined ? {} : { onError }),
    };
  }

  static async open(
    address: { hostname: string; port: number },
    defaultCert: string | undefined,
    options: TlsListenOptions,
  ): Promise<TlsListener> {
    const switching = singleIdentityUsable(options) &&
      defaultCert !== undefined;
    let portNumber = address.port;
    let reusePort = options.reusePort ?? false;
    if (switching && !reusePort) {
      // Rebinding needs SO_REUSEPORT (the new socket is bound before the old one stops), but
      // a port somebody else holds must still fail: probe it with a plain bind first.
      const probe = Deno.listen({
        hostname: address.hostname,
        port: portNumber,
      });
      portNumber = probe.addr.port;
      probe.close();
      reusePort = true;
    }
    const port = new TlsPort(address.hostname, defaultCert, switching, {
      ...options,
      reusePort,
    });
    const identity = await port.#soleIdentity();
    port.#port = portNumber;
    await port.#bind(identity);
    if (switching) {
      port.#timer = setInterval(
        () => void port.#recheck(),
        options.recheckMs ?? IDENTITY_RECHECK_MS,
      );
    }
    return port;
  }

  get addr(): Deno.NetAddr {
    return this.#backend?.addr ??
      { transport: "tcp", hostname: this.#hostname, port: this.#port };
  }

  get engine(): "single-identity" | "sni" {
    return this.#identity === null ? "sni" : "single-identity";
  }

  accept(): Promise<TlsByteStream> {
    return this.#queue.accept();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#backend?.close();
    this.#backend = null;
    for (const b of this.#retired) b.close();
    this.#retired.clear();
    this.#queue.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Stops `backend` listening; its handshakes in progress still deliver. */
  #retire(backend: TlsBackend): void {
    backend.retire();
    this.#retired.add(backend);
  }

  /** Closes retired backends with no handshake left. */
  #pruneRetired(): void {
    for (const b of this.#retired) {
      if (b.handshaking === 0) {
        b.close();
        this.#retired.delete(b);
      }
    }
  }

  async #soleIdentity(): Promise<LoadedIdentity | null> {
    if (!this.#switching || this.#defaultCert === undefined) return null;
    try {
      const found = await soleDefaultIdentity(
        this.#dir,
        this.#defaultCert,
        this.#identity,
      );
      return found !== null && found.signature === this.#refused ? null : found;
    } catch {
      return null; // missing directory or pair: the SNI engine reports per handshake
    }
  }

  /**
   * Opens the engine for `identity` on the port (the single-identity one, or the SNI one
   * for `null` or when `Deno.listenTls` refuses the pair) and makes it current.
   */
  async #bind(identity: LoadedIdentity | null): Promise<void> {
    const address = { hostname: this.#hostname, port: this.#port };
    let backend: TlsBackend | null = null;
    if (identity !== null) {
      try {
        backend = listenSingleIdentity(address, identity, this.#backendOptions);
      } catch (e) {
        if (e instanceof Deno.errors.AddrInUse) throw e;
        this.#refused = identity.signature;
        this.#onError?.(
          `tls identity ${this.#defaultCert}: ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
        identity = null;
      }
    }
    backend ??= await listenNodeTls(
      address,
      this.#store,
      this.#defaultCert,
      this.#backendOptions,
    );
    if (this.#closed) {
      backend.close();
      return;
    }
    this.#backend = backend;
    this.#identity = identity;
    this.#port = backend.addr.port;
  }

  async #recheck(): Promise<void> {
    if (this.#checking || this.#closed) return;
    this.#checking = true;
    try {
      this.#pruneRetired();
      const identity = await this.#soleIdentity();
      if (this.#closed) return;
      // Same engine (and same pair) as now, and it is bound: nothing to do.
      if (this.#backend !== null && identity === this.#identity) return;
      const old = this.#backend;
      try {
        // SO_REUSEPORT: the new socket shares the port until the old one is retired.
        await this.#bind(identity);
      } catch (e) {
        this.#onError?.(
          `tls listener ${this.#hostname}:${this.#port}: ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
        return; // tried again at the next check
      }
      if (old !== null && old !== this.#backend) this.#retire(old);
    } finally {
      this.#checking = false;
    }
  }
}
