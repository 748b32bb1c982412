/**
 * ZeroMQ endpoint specs: stream-mode derivation (Condure's `make_specs`) and
 * ipc path handling.
 *
 * @module
 */

import { type StreamSpecs, streamSpecs } from "../cli/mod.ts";

/** The three endpoints derived from one `--zclient-stream` base spec (`out`, `outStream`, `in`). */
export type StreamEndpoints = StreamSpecs;

/**
 * Derives the PUSH/ROUTER/SUB endpoints from a stream base spec: for `ipc:`
 * the suffixes `-out`, `-out-stream`, `-in`; for `tcp:` the port P after the
 * last `:` gives P, P+1, P+2. Throws a TypeError with Condure's messages.
 *
 * @example
 * ```ts
 * import { deriveStreamEndpoints } from "./endpoints.ts";
 * const e = deriveStreamEndpoints("tcp://127.0.0.1:18310");
 * if (e.in !== "tcp://127.0.0.1:18312") throw new Error(e.in);
 * ```
 */
export function deriveStreamEndpoints(base: string): StreamEndpoints {
  return streamSpecs(base);
}

/**
 * The filesystem path of an `ipc://` endpoint, or null for other transports
 * and for Linux abstract sockets (`ipc://@name`).
 *
 * @example
 * ```ts
 * import { ipcPath } from "./endpoints.ts";
 * if (ipcPath("ipc:///tmp/x-in") !== "/tmp/x-in") throw new Error("bad");
 * if (ipcPath("tcp://127.0.0.1:1") !== null) throw new Error("bad");
 * ```
 */
export function ipcPath(endpoint: string): string | null {
  if (!endpoint.startsWith("ipc://")) return null;
  const path = endpoint.slice("ipc://".length);
  if (path === "" || path.startsWith("@") || path === "*") return null;
  return path;
}
