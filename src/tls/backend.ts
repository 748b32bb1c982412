/**
 * What the two TLS engines behind a listen port have in common.
 *
 * @module
 */

import type { TlsByteStream } from "./byte_stream.ts";

/** The ALPN protocols a TLS port offers (room is left for `h2`). */
export const ALPN_PROTOCOLS: readonly string[] = ["http/1.1"];

/**
 * One bound TLS socket: it handshakes the connections it accepts and hands the
 * established ones to {@linkcode BackendOptions.deliver}.
 *
 * @example
 * ```ts
 * import type { TlsBackend } from "./backend.ts";
 * function port(b: TlsBackend): number {
 *   return b.addr.port;
 * }
 * ```
 */
export interface TlsBackend {
  /** The bound address (with the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Connections still handshaking. */
  readonly handshaking: number;
  /**
   * Stops listening; handshakes in progress go on and are delivered (or time out). For
   * handing the port to another backend. Idempotent.
   */
  retire(): void;
  /** Stops listening and drops connections still handshaking. Idempotent. */
  close(): void;
}

/**
 * How a {@linkcode TlsBackend} is run.
 *
 * @example
 * ```ts
 * import type { BackendOptions } from "./backend.ts";
 * const options: BackendOptions = {
 *   reusePort: false,
 *   handshakeTimeoutMs: 10_000,
 *   deliver: (s) => s.close(),
 * };
 * ```
 */
export interface BackendOptions {
  /** Bind with SO_REUSEPORT. */
  reusePort: boolean;
  /** Longest time from TCP accept to the end of the handshake. */
  handshakeTimeoutMs: number;
  /** Receives each established connection. */
  deliver: (stream: TlsByteStream) => void;
  /** Told why a handshake failed (for debug logs). */
  onError?: (message: string) => void;
}
