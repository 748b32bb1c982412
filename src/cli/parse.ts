/**
 * The command line → {@linkcode Config}, or the exit Condure 1.9.1 would make instead
 * (help, version, usage errors, invalid values), with the same output and exit code.
 *
 * @module
 */

import { formatRecord, LogLevel } from "../log.ts";
import type { Config, ListenSpec } from "./config.ts";
import { parseArgs } from "./_args.ts";
import { parseRustUint } from "./_rust_int.ts";
import { parseListenSpec } from "./listen.ts";

/** Condure version this implementation mirrors. */
export const VERSION = "1.9.1";

/** What to do after parsing the command line. */
export type CliResult =
  | { kind: "run"; config: Config }
  | { kind: "exit"; code: number; stdout: string; stderr: string };

/** Safety limits of Condure's `main.rs`. */
const WORKERS_MAX = 1024;
const CONNS_MAX = 10_000_000n;
const USIZE_BITS = 64;

const DEFAULT_LISTEN = "0.0.0.0:8000,stream";
const DEFAULT_ZCLIENT = "ipc://client";

/** Condure logs value errors at ERR on stdout and exits 1. */
function fail(message: string): CliResult {
  return {
    kind: "exit",
    code: 1,
    stdout: formatRecord(LogLevel.Error, "condure", message) + "\n",
    stderr: "",
  };
}

/**
 * Parses Condure's command line (without the program name). Value checks run in Condure's
 * order: log-level, `--sizes`, the numeric options, ipc-file-mode, id, workers limits, total
 * maxconn, then each `--listen`.
 *
 * Deviations from Condure 1.9.1: `--workers 0` is refused (`failed to parse workers: value
 * cannot be zero`, exit 1) where Condure crashes; `--sizes` exits 0 printing nothing (there
 * are no Rust task sizes to report); listen params `mode=`, `user=`, `group=` are accepted
 * (Condure 1.10). `--ipc-file-mode` is read as DECIMAL like 1.9.1 (`438` → 0o666), not octal
 * like 1.10. Checks Condure makes only at start-up are in `startupError()`.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./parse.ts";
 * const r = parseCommandLine(["--listen=8080,stream", "--workers", "4"]);
 * if (r.kind !== "run" || r.config.workers !== 4) throw new Error();
 * const bad = parseCommandLine(["--workers", "2000"]);
 * if (bad.kind !== "exit" || bad.code !== 1) throw new Error();
 * ```
 */
export function parseCommandLine(args: readonly string[]): CliResult {
  const parsed = parseArgs(args);
  if (parsed.kind === "exit") return parsed;
  const m = parsed.matches;
  const one = (name: string, fallback: string): string =>
    m.get(name)?.[0] ?? fallback;

  const uint = (name: string, fallback: string): bigint | string => {
    try {
      return parseRustUint(one(name, fallback), { bits: USIZE_BITS });
    } catch (e) {
      return `failed to parse ${name}: ${(e as Error).message}`;
    }
  };

  const logLevel = uint("log-level", "2");
  if (typeof logLevel === "string") return fail(logLevel);

  if (m.has("sizes")) return { kind: "exit", code: 0, stdout: "", stderr: "" };

  const numbers: Record<string, bigint> = {};
  for (
    const [name, fallback] of [
      ["workers", "2"],
      ["req-maxconn", "100"],
      ["stream-maxconn", "10000"],
      ["buffer-size", "8192"],
      ["body-buffer-size", "100000"],
      ["messages-max", "100"],
      ["req-timeout", "30"],
      ["stream-timeout", "1800"],
      // 1.9.1 reads the mode as a decimal integer (1.10: octal).
      ["ipc-file-mode", "0"],
    ] as const
  ) {
    const value = uint(name, fallback);
    if (typeof value === "string") return fail(value);
    numbers[name] = value;
  }
  const num = (name: string) => numbers[name] ?? 0n;

  const id = one("id", "condure");
  if (id.length === 0 || id.includes(" ")) {
    return fail("failed to parse id: value cannot be empty or contain a space");
  }
  if (num("workers") > WORKERS_MAX) {
    return fail("failed to parse workers: value too large");
  }
  if (num("workers") === 0n) {
    return fail("failed to parse workers: value cannot be zero");
  }
  if (num("req-maxconn") + num("stream-maxconn") > CONNS_MAX) {
    return fail("total maxconn is too large");
  }

  const listen: ListenSpec[] = [];
  for (const text of m.get("listen") ?? [DEFAULT_LISTEN]) {
    try {
      listen.push(parseListenSpec(text));
    } catch (e) {
      return fail((e as Error).message);
    }
  }

  return {
    kind: "run",
    config: {
      id,
      workers: Number(num("workers")),
      reqMaxconn: Number(num("req-maxconn")),
      streamMaxconn: Number(num("stream-maxconn")),
      bufferSize: Number(num("buffer-size")),
      bodyBufferSize: Number(num("body-buffer-size")),
      messagesMax: Number(num("messages-max")),
      reqTimeoutSecs: Number(num("req-timeout")),
      streamTimeoutSecs: Number(num("stream-timeout")),
      listen,
      zclientReq: m.get("zclient-req") ?? [DEFAULT_ZCLIENT],
      zclientStream: m.get("zclient-stream") ?? [DEFAULT_ZCLIENT],
      zclientConnect: m.has("zclient-connect"),
      ipcFileMode: Number(num("ipc-file-mode") & 0xffffffffn),
      tlsIdentitiesDir: one("tls-identities-dir", "."),
      compression: m.has("compression"),
      logLevel: Number(logLevel > 4n ? 4n : logLevel),
    },
  };
}
