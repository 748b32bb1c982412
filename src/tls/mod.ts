/**
 * TLS termination for listen ports with the `tls` param: certificates chosen per SNI name
 * from `--tls-identities-dir` (`<name>.crt` + `<name>.key`, then the wildcard `_.<parent>`,
 * then `default-cert=`), reloaded when their files change.
 *
 * @example
 * ```ts
 * import { identityCandidates } from "./mod.ts";
 * if (identityCandidates("a.example.com").join() !== "a.example.com,_.example.com") {
 *   throw new Error();
 * }
 * ```
 *
 * @module
 */

export type { ByteStream, TlsByteStream } from "./byte_stream.ts";
export {
  IDENTITY_NAME_MAX,
  identityCandidates,
  isSafeIdentityName,
} from "./identity_name.ts";
export {
  IDENTITY_CACHE_MAX,
  IDENTITY_RECHECK_MS,
  IdentityStore,
  type IdentityStoreOptions,
} from "./identity_store.ts";
export {
  ACCEPT_QUEUE_MAX,
  ALPN_PROTOCOLS,
  HANDSHAKE_TIMEOUT_MS,
  listenTls,
  type TlsListener,
  type TlsListenOptions,
} from "./listener.ts";
export { CLOSE_TIMEOUT_MS, READ_HIGH_WATER, TlsStream } from "./tls_stream.ts";
export {
  addressKey,
  noDelayOf,
  shutdownConnections,
  socketCallsAvailable,
  tuneListeners,
} from "./socket_fd.ts";
