/**
 * Checks Condure makes at start-up, after logging `starting...` (not while parsing the
 * command line), and the derivation of the three stream-mode socket specs from a base.
 *
 * @module
 */

import type { Config } from "./config.ts";
import { parseRustUint } from "./_rust_int.ts";

/** The three ZeroMQ specs of one `--zclient-stream` base. */
export interface StreamSpecs {
  /** PUSH (manager → handler, first packets): `<base>-out` or port. */
  out: string;
  /** ROUTER (manager → handler, addressed packets): `<base>-out-stream` or port + 1. */
  outStream: string;
  /** SUB (handler → manager): `<base>-in` or port + 2. */
  in: string;
}

/**
 * Derives the PUSH/ROUTER/SUB specs from a `--zclient-stream` base as Condure does:
 * `ipc:…` gets `-out`, `-out-stream`, `-in` suffixes; `tcp:…:P` gets ports P, P+1, P+2.
 *
 * Deviation: Condure 1.9.1 wraps ports past 65535 to 0, 1; a base port above 65533 is
 * refused here with the overflow message instead.
 *
 * @throws {TypeError} `base spec must be ipc or tcp` or
 * `error parsing tcp port in base spec: <reason>`.
 *
 * @example
 * ```ts
 * import { streamSpecs } from "./startup.ts";
 * const s = streamSpecs("tcp://127.0.0.1:5000");
 * if (s.outStream !== "tcp://127.0.0.1:5001" || s.in !== "tcp://127.0.0.1:5002") throw new Error();
 * if (streamSpecs("ipc://client").out !== "ipc://client-out") throw new Error();
 * ```
 */
export function streamSpecs(base: string): StreamSpecs {
  if (base.startsWith("ipc:")) {
    return {
      out: `${base}-out`,
      outStream: `${base}-out-stream`,
      in: `${base}-in`,
    };
  }
  if (base.startsWith("tcp:")) {
    const colon = base.lastIndexOf(":");
    let port: number;
    try {
      port = Number(parseRustUint(base.slice(colon + 1), { bits: 16 }));
    } catch (e) {
      throw new TypeError(
        `error parsing tcp port in base spec: ${(e as Error).message}`,
      );
    }
    if (port > 65533) {
      throw new TypeError(
        "error parsing tcp port in base spec: number too large to fit in target type",
      );
    }
    const host = base.slice(0, colon);
    return {
      out: `${host}:${port}`,
      outStream: `${host}:${port + 1}`,
      in: `${host}:${port + 2}`,
    };
  }
  throw new TypeError("base spec must be ipc or tcp");
}

/**
 * The error Condure 1.9.1 reports at start-up for `config`, or `null`. Call it after logging
 * `starting...` at INFO; Condure then logs the text at ERR (target `condure`) and exits 1.
 * Order: req maxconn, stream maxconn, then (only if some listener is in stream mode) each
 * `--zclient-stream` base.
 *
 * @example
 * ```ts
 * import { startupError } from "./startup.ts";
 * import { parseCommandLine } from "./parse.ts";
 * const r = parseCommandLine(["--zclient-stream", "inproc://x"]);
 * if (r.kind !== "run" || startupError(r.config) !== "base spec must be ipc or tcp") {
 *   throw new Error();
 * }
 * ```
 */
export function startupError(config: Config): string | null {
  if (config.reqMaxconn < config.workers) {
    return "req maxconn must be >= workers";
  }
  if (config.streamMaxconn < config.workers) {
    return "stream maxconn must be >= workers";
  }
  if (config.listen.some((l) => l.mode === "stream")) {
    for (const base of config.zclientStream) {
      try {
        streamSpecs(base);
      } catch (e) {
        return (e as Error).message;
      }
    }
  }
  return null;
}
