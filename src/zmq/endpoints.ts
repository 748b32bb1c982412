/**
 * ZeroMQ endpoint specs: stream-mode derivation (Condure's `make_specs`) and
 * ipc path handling.
 *
 * @module
 */

/** The three endpoints derived from one `--zclient-stream` base spec. */
export interface StreamEndpoints {
  /** PUSH, manager → handler, initial requests (`<base>-out` / port P). */
  out: string;
  /** ROUTER, manager → handler, addressed packets (`-out-stream` / P+1). */
  outStream: string;
  /** SUB, handler → manager (`-in` / P+2). */
  in: string;
}

// Rust's `str::parse::<u16>()` error texts, which Condure prints.
function parseU16(text: string): number {
  if (text === "") {
    throw new TypeError("cannot parse integer from empty string");
  }
  const digits = text.startsWith("+") ? text.slice(1) : text;
  if (!/^[0-9]+$/.test(digits)) {
    throw new TypeError("invalid digit found in string");
  }
  const value = Number(digits);
  if (value > 65535) {
    throw new TypeError("number too large to fit in target type");
  }
  return value;
}

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
  if (base.startsWith("ipc:")) {
    return {
      out: `${base}-out`,
      outStream: `${base}-out-stream`,
      in: `${base}-in`,
    };
  }
  if (!base.startsWith("tcp:")) {
    throw new TypeError("base spec must be ipc or tcp");
  }
  const pos = base.lastIndexOf(":");
  if (pos < 0) throw new TypeError("tcp base spec must specify port");
  let port: number;
  try {
    port = parseU16(base.slice(pos + 1));
  } catch (error) {
    throw new TypeError(
      `error parsing tcp port in base spec: ${(error as Error).message}`,
    );
  }
  const prefix = base.slice(0, pos);
  return {
    out: `${prefix}:${port}`,
    outStream: `${prefix}:${port + 1}`,
    in: `${prefix}:${port + 2}`,
  };
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
