/**
 * Full TLS handshakes per second: parallel `openssl s_time -new` clients, each
 * making one connection after another with a fresh handshake (no session
 * resumption), sending `GET / HTTP/1.0` and reading the response to the close.
 *
 * @module
 */

import {
  atStopAll,
  killTree,
  PRINT_CHILD_CPU,
  waitedChildCpuSeconds,
} from "./_proc.ts";
import type { WrkResult } from "./_wrk.ts";

/**
 * Options of {@linkcode runSTime}.
 *
 * @example
 * ```ts
 * import type { STimeOptions } from "./_stime.ts";
 * const options: STimeOptions = { procs: 8, seconds: 10, clkTck: 100 };
 * ```
 */
export interface STimeOptions {
  /** Parallel `s_time` processes. */
  procs: number;
  /** Seconds each runs. */
  seconds: number;
  /** Clock ticks per second (for the clients' CPU). */
  clkTck: number;
}

/**
 * What one `s_time` printed: connections made and bytes read per connection.
 *
 * @example
 * ```ts
 * import type { STimeOutput } from "./_stime.ts";
 * const out: STimeOutput = { connections: 786, seconds: 6, bytesPerConnection: 77 };
 * ```
 */
export interface STimeOutput {
  /** Connections completed. */
  connections: number;
  /** Wall seconds s_time reports. */
  seconds: number;
  /** Bytes read per connection (0 = no response). */
  bytesPerConnection: number;
}

/**
 * Parses the `N connections in T real seconds, B bytes read per connection`
 * line of `s_time`; `null` when it is missing.
 *
 * @example
 * ```ts
 * import { parseSTime } from "./_stime.ts";
 * const r = parseSTime("786 connections in 6 real seconds, 77 bytes read per connection\n");
 * if (r?.connections !== 786 || r.bytesPerConnection !== 77) throw new Error();
 * ```
 */
export function parseSTime(text: string): STimeOutput | null {
  const m =
    /(\d+) connections in (\d+(?:\.\d+)?) real seconds, (\d+) bytes read per connection/
      .exec(text);
  if (m === null) return null;
  return {
    connections: Number(m[1]),
    seconds: Number(m[2]),
    bytesPerConnection: Number(m[3]),
  };
}

/**
 * Runs `procs` parallel `openssl s_time -new -www /` against 127.0.0.1:`port`
 * for `seconds`, as a {@linkcode WrkResult} (no latency percentiles; a client
 * that read nothing per connection counts its connections as read errors).
 *
 * @example
 * ```ts ignore
 * const r = await runSTime(8443, { procs: 8, seconds: 10, clkTck: 100 });
 * ```
 */
export async function runSTime(
  port: number,
  options: STimeOptions,
): Promise<WrkResult> {
  const script =
    `openssl s_time -connect "$1" -new -time "$2" -www /; ${PRINT_CHILD_CPU}`;
  const t0 = performance.now();
  const children = Array.from(
    { length: options.procs },
    () =>
      new Deno.Command("sh", {
        args: [
          "-c",
          script,
          "sh",
          `127.0.0.1:${port}`,
          String(options.seconds),
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
  );
  const unregister = atStopAll(() => {
    for (const c of children) killTree(c.pid);
  });
  let outs: Deno.CommandOutput[];
  try {
    outs = await Promise.all(children.map((c) => c.output()));
  } finally {
    unregister();
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const dec = new TextDecoder();
  let connections = 0;
  let readErrors = 0;
  let cpuSeconds = 0;
  const texts: string[] = [];
  for (const out of outs) {
    const stdout = dec.decode(out.stdout);
    const stderr = dec.decode(out.stderr);
    texts.push(stdout);
    const r = parseSTime(stdout);
    if (r === null) {
      throw new Error(`openssl s_time failed:\n${stdout}${stderr}`);
    }
    connections += r.connections;
    if (r.bytesPerConnection === 0) readErrors += r.connections;
    cpuSeconds += waitedChildCpuSeconds(stderr, options.clkTck);
  }
  return {
    // s_time reports whole seconds: the rate uses the measured wall time.
    requests: connections,
    seconds: wallSeconds,
    rps: connections / wallSeconds,
    p50Ms: NaN,
    p99Ms: NaN,
    non2xx: 0,
    errors: { connect: 0, read: readErrors, write: 0, timeout: 0 },
    cpuSeconds,
    wallSeconds,
    output: texts.join("\n"),
  };
}
