/**
 * Running `wrk` (plain GET, no Lua) and parsing its report.
 *
 * @module
 */

import {
  atStopAll,
  killTree,
  PRINT_CHILD_CPU,
  waitedChildCpuSeconds,
} from "./_proc.ts";

/** What one wrk run reported. */
export interface WrkResult {
  /** Completed requests. */
  requests: number;
  /** Seconds wrk measured. */
  seconds: number;
  /** Requests per second as printed by wrk. */
  rps: number;
  /** Latency percentiles in ms (with `--latency`). */
  p50Ms: number;
  /** 99th percentile latency in ms. */
  p99Ms: number;
  /** Responses with status > 399 ("Non-2xx or 3xx responses"). */
  non2xx: number;
  /** Socket errors by kind. */
  errors: { connect: number; read: number; write: number; timeout: number };
  /** CPU seconds used by wrk itself (user+sys). */
  cpuSeconds: number;
  /** Wall-clock seconds of the wrk process. */
  wallSeconds: number;
  /** wrk's full output. */
  output: string;
}

/** Options of {@linkcode runWrk}. */
export interface WrkOptions {
  /** Number of connections (`-c`). */
  conns: number;
  /** Duration in seconds (`-d`). */
  seconds: number;
  /** Threads (`-t`), default 2. */
  threads?: number;
  /** Clock ticks per second for the CPU time. */
  clkTck: number;
  /** Extra request headers (`-H`), e.g. `Connection: close`. */
  headers?: string[];
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000 };

function toMs(value: string | undefined, unit: string | undefined): number {
  return Number(value) * (UNIT_MS[unit ?? "ms"] ?? NaN);
}

/**
 * Parses wrk's text report (the CPU fields are left 0).
 *
 * @example
 * ```ts ignore
 * const r = parseWrk("  1000 requests in 1.00s, 1MB read\nRequests/sec:  1000.00\n");
 * ```
 */
export function parseWrk(output: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(output);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (!total || !rps) {
    throw new SyntaxError(`Cannot parse wrk output:\n${output}`);
  }
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)$/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)$/m.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const sock =
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
      output,
    );
  return {
    requests: Number(total[1]),
    seconds: toMs(total[2], total[3]) / 1000,
    rps: Number(rps[1]),
    p50Ms: p50 ? toMs(p50[1], p50[2]) : NaN,
    p99Ms: p99 ? toMs(p99[1], p99[2]) : NaN,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    errors: {
      connect: sock ? Number(sock[1]) : 0,
      read: sock ? Number(sock[2]) : 0,
      write: sock ? Number(sock[3]) : 0,
      timeout: sock ? Number(sock[4]) : 0,
    },
    cpuSeconds: 0,
    wallSeconds: 0,
    output,
  };
}

/** Total of non-2xx responses and socket errors. */
export function errorCount(r: WrkResult): number {
  const e = r.errors;
  return r.non2xx + e.connect + e.read + e.write + e.timeout;
}

/**
 * Runs `wrk -t<threads> -c<conns> -d<seconds>s [-H <header>…] --latency <url>` and parses
 * the report. wrk's CPU time is read from the cutime/cstime of a wrapping
 * shell after wrk has been reaped.
 *
 * @example
 * ```ts ignore
 * const r = await runWrk("http://127.0.0.1:8000/", { conns: 50, seconds: 10, clkTck: 100 });
 * ```
 */
export async function runWrk(
  url: string,
  options: WrkOptions,
): Promise<WrkResult> {
  const args = [
    `-t${options.threads ?? 2}`,
    `-c${options.conns}`,
    `-d${options.seconds}s`,
    ...(options.headers ?? []).flatMap((h) => ["-H", h]),
    "--latency",
    url,
  ];
  const script = `wrk "$@"; ${PRINT_CHILD_CPU}`;
  const t0 = performance.now();
  const child = new Deno.Command("sh", {
    args: ["-c", script, "sh", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const unregister = atStopAll(() => killTree(child.pid));
  let out: Deno.CommandOutput;
  try {
    out = await child.output();
  } finally {
    unregister();
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(
      `wrk ${args.join(" ")} failed (exit ${out.code}):\n${stdout}${stderr}`,
    );
  }
  const result = parseWrk(stdout);
  result.cpuSeconds = waitedChildCpuSeconds(stderr, options.clkTck);
  result.wallSeconds = wallSeconds;
  return result;
}
