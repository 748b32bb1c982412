/**
 * The byte-stream seam between listeners and the connection driver.
 *
 * @module
 */

/**
 * What the connection driver needs from an accepted connection: pull-based reads, writes
 * that resolve once the bytes are handed on (the caller may then reuse the buffer), and an
 * immediate close. A plain `Deno.Conn` satisfies it, and so does a TLS stream from
 * {@linkcode listenTls}.
 *
 * @example
 * ```ts
 * import type { ByteStream } from "./byte_stream.ts";
 * function peer(s: ByteStream): string {
 *   const a = s.remoteAddr;
 *   return a.transport === "tcp" ? `${a.hostname}:${a.port}` : a.transport;
 * }
 * ```
 */
export interface ByteStream {
  /** Reads into `p`; resolves with the byte count, or `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes (some of) `p`; resolves with the number of bytes taken. */
  write(p: Uint8Array): Promise<number>;
  /** Closes the stream; pending reads end. Idempotent. */
  close(): void;
  /** The peer's address. */
  readonly remoteAddr: Deno.Addr;
}

/**
 * A {@linkcode ByteStream} whose TLS handshake has completed, as TLS listeners yield it.
 *
 * @example
 * ```ts
 * import type { TlsByteStream } from "./byte_stream.ts";
 * function describe(s: TlsByteStream): string {
 *   return `${s.serverName ?? "(no SNI)"} ${s.alpnProtocol ?? "(no ALPN)"}`;
 * }
 * ```
 */
export interface TlsByteStream extends ByteStream {
  /** The ALPN protocol agreed on (`"http/1.1"`), or `null` if the client offered none. */
  readonly alpnProtocol: string | null;
  /** The SNI name the client sent, or `null` (also when the TLS engine does not tell). */
  readonly serverName: string | null;
}
