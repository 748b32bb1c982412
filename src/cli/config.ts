/**
 * The configuration of one server instance, as built from Condure's command-line flags.
 *
 * @module
 */

/** How sessions on a listen port are carried to handlers. */
export type ListenMode = "stream" | "req";

/** A TCP listen address: `[addr:]port`. */
export interface TcpAddress {
  /** Discriminant. */
  kind: "tcp";
  /** IPv4 or IPv6 literal, without brackets (`0.0.0.0`, `::1`). */
  hostname: string;
  /** TCP port, 0-65535. */
  port: number;
}

/** A Unix-domain socket listen address (`PATH,local`). */
export interface UnixAddress {
  /** Discriminant. */
  kind: "unix";
  /** Filesystem path of the socket. */
  path: string;
  /** `mode=` permission bits (octal on the command line), if given. */
  mode?: number;
  /** `user=` owner name, if given. */
  user?: string;
  /** `group=` group name, if given. */
  group?: string;
}

/** One `--listen` entry. */
export interface ListenSpec {
  /** Where to accept connections. */
  address: TcpAddress | UnixAddress;
  /** Stream or req mode (default stream). */
  mode: ListenMode;
  /** Whether TLS is terminated on this port. */
  tls: boolean;
  /** `default-cert=NAME`: identity used when SNI is absent or unmatched. */
  defaultCert?: string;
}

/**
 * Every setting of a server instance. Durations are in seconds as on the command line.
 *
 * @example
 * ```ts
 * import type { Config } from "./config.ts";
 * const workers = (c: Config) => c.workers;
 * ```
 */
export interface Config {
  /** Instance id (`--id`), used as `from` and as the SUB subscription prefix. */
  id: string;
  /** Number of worker isolates (`--workers`). */
  workers: number;
  /** Total req-mode connection limit (`--req-maxconn`). */
  reqMaxconn: number;
  /** Total stream-mode connection limit (`--stream-maxconn`). */
  streamMaxconn: number;
  /** Per-connection buffer size in bytes, also the initial credits (`--buffer-size`). */
  bufferSize: number;
  /** Req-mode request body limit in bytes (`--body-buffer-size`). */
  bodyBufferSize: number;
  /** WebSocket handler→client queued message limit (`--messages-max`). */
  messagesMax: number;
  /** Req-mode request timeout in seconds (`--req-timeout`). */
  reqTimeoutSecs: number;
  /** Stream-mode client inactivity timeout in seconds (`--stream-timeout`). */
  streamTimeoutSecs: number;
  /** Listen ports. */
  listen: ListenSpec[];
  /** Req-mode DEALER specs (`--zclient-req`). */
  zclientReq: string[];
  /** Stream-mode spec bases (`--zclient-stream`). */
  zclientStream: string[];
  /** Connect instead of bind (`--zclient-connect`). */
  zclientConnect: boolean;
  /** Permission bits applied to bound ipc files; 0 = unchanged (`--ipc-file-mode`). */
  ipcFileMode: number;
  /** Directory of TLS identities (`--tls-identities-dir`). */
  tlsIdentitiesDir: string;
  /** Allow permessage-deflate (`--compression`). */
  compression: boolean;
  /** 0 error, 1 warn, 2 info, 3 debug, 4+ trace (`--log-level`). */
  logLevel: number;
}
