/**
 * The loads each bench mode runs against a server: wrk GET (stream, req),
 * wrk GET over TLS with keep-alive and with a new connection per request,
 * and `openssl s_time` full handshakes (tls), the native WebSocket echo
 * client (ws).
 *
 * @module
 */

import type { BenchMode } from "./_options.ts";
import type { Units } from "./_report.ts";
import type { RunningServer } from "./_server.ts";
import { runSTime } from "./_stime.ts";
import { runWrk, type WrkResult } from "./_wrk.ts";
import { runWsEcho } from "./ws_load.ts";

/** One kind of load. */
export interface Load {
  /** Label in the tables; absent when the mode has a single load. */
  name?: string;
  /** Runs it against `s` with `conns` connections for `seconds`. */
  run(s: RunningServer, conns: number, seconds: number): Promise<WrkResult>;
  /** Whether to count the TCP connections accepted during the run. */
  countAccepts?: boolean;
}

/** What the loads need. */
export interface LoadContext {
  /** wrk threads. */
  threads: number;
  clkTck: number;
  /** The ws client binary (ws mode). */
  wsClient?: string;
  /** ws message size. */
  wsSize: number;
}

/** Most parallel `openssl s_time` clients of the "full handshake" load. */
export const STIME_PROCS_MAX = 16;

/** The header wrk sends for a new connection per request. */
export const CLOSE_HEADER = "Connection: close";

/**
 * The loads of a mode, in the order they run.
 *
 * @example
 * ```ts ignore
 * const [get] = loadsFor("stream", { threads: 2, clkTck: 100, wsSize: 32 });
 * ```
 */
export function loadsFor(mode: BenchMode, ctx: LoadContext): Load[] {
  const wrk = (headers: string[]): Load["run"] => (s, conns, seconds) =>
    runWrk(s.url, {
      conns,
      seconds,
      threads: ctx.threads,
      clkTck: ctx.clkTck,
      headers,
    });
  switch (mode) {
    case "stream":
    case "req":
      return [{ run: wrk([]) }];
    case "tls":
      return [
        { name: "keep-alive", run: wrk([]), countAccepts: true },
        { name: "close", run: wrk([CLOSE_HEADER]), countAccepts: true },
        {
          name: "full handshake",
          run: (s, conns, seconds) =>
            runSTime(s.port, {
              procs: Math.min(conns, STIME_PROCS_MAX),
              seconds,
              clkTck: ctx.clkTck,
            }),
          countAccepts: true,
        },
      ];
    case "ws": {
      const bin = ctx.wsClient;
      if (bin === undefined) {
        throw new TypeError("ws mode needs the ws client binary");
      }
      return [{
        run: async (s, conns, seconds) =>
          (await runWsEcho(bin, s.port, {
            conns,
            seconds,
            size: ctx.wsSize,
            clkTck: ctx.clkTck,
          })).load,
      }];
    }
  }
}

/**
 * Column wording of a mode's tables.
 *
 * @example
 * ```ts ignore
 * unitsFor("ws"); // { unit: "msg", client: "ws client" }
 * ```
 */
export function unitsFor(mode: BenchMode): Units {
  return mode === "ws"
    ? { unit: "msg", client: "ws client" }
    : { unit: "req", client: "wrk" };
}

/**
 * The setup line describing the load of a mode.
 *
 * @example
 * ```ts ignore
 * loadDescription("ws", { threads: 2, wsSize: 32, durationS: 10 });
 * ```
 */
export function loadDescription(
  mode: BenchMode,
  o: { threads: number; wsSize: number; durationS: number },
): string {
  switch (mode) {
    case "stream":
    case "req":
      return `wrk -t${o.threads}, GET /, no Lua, ${o.durationS} s per run`;
    case "tls":
      return `wrk -t${o.threads}, GET https://127.0.0.1:<port>/, no Lua, ${o.durationS} s per run; ` +
        `"keep-alive": persistent connections; "close": \`-H "${CLOSE_HEADER}"\`, so wrk ` +
        `reconnects after every response ("TCP accepts/req" ≈ 1 confirms it; it counts every ` +
        `accept on the machine), resuming the TLS session it kept from the previous connection ` +
        `(an abbreviated handshake: a TLS 1.2 session id with Condure, a TLS 1.3 ticket with ` +
        `ECDHE with ours); "full handshake": min(conns, ${STIME_PROCS_MAX}) parallel ` +
        `\`openssl s_time -new -www /\` clients, a new connection with a full handshake and ` +
        `one HTTP/1.0 GET each time, no latency figures (p99 "–")`;
    case "ws":
      return `bench/ws_client.c (1 thread, epoll): each connection sends a masked ${o.wsSize}-byte ` +
        `text frame, waits for the echo (checked), repeats; ${o.durationS} s per run; ` +
        `msg/s = echoes completed per second, p50/p99 = round trip`;
  }
}
