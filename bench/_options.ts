/**
 * Command-line options of bench/run.ts.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { ServerKind } from "./_server.ts";

/**
 * What is measured: HTTP GET over a stream or req listener (wrk), WebSocket
 * echo (bench/ws_client.c), or HTTPS GET with keep-alive and with a new TLS
 * connection per request (wrk).
 */
export type BenchMode = "stream" | "req" | "ws" | "tls";

const MODES: readonly BenchMode[] = ["stream", "req", "ws", "tls"];

/** Default `--conns` per mode. */
const DEFAULT_CONNS: Record<BenchMode, string> = {
  stream: "50,256",
  req: "50,256",
  ws: "100",
  tls: "50",
};

/** The `--help` text. */
export const HELP = `Usage: deno task bench [options]
  --duration S        seconds per wrk run (default 10)
  --warmup S          seconds of warm-up per server and workers value (default 3)
  --rounds N          rounds per (server, conns) (default 2)
  --only K            condure | deno (alias: ours); default both (ours only if main.ts exists)
  --workers LIST      --workers values (default 1,2)
  --conns LIST        connection counts (default 50,256; ws: 100; tls: 50)
  --mode M            stream | req | ws | tls (default stream)
                      ws: WebSocket echo by bench/ws_client.c (messages/s, round trip)
                          plus RSS per idle WebSocket connection
                      tls: https GET, keep-alive and "Connection: close" (a
                          resumed TLS handshake per request), and full handshakes
                          by parallel openssl s_time
  --ws-size B         ws: message size in bytes (default 32)
  --idle-conns N      ws: idle WebSocket connections for the memory reading
                      (default 2000, 0: skip)
  --threads N         wrk threads (default 2)
  --maxconn N         --stream-maxconn (and --req-maxconn in req mode) (default 20000)
  --condure PATH      Condure binary (default /usr/bin/condure)
  --main PATH         our main.ts (default <repo>/main.ts)
  --out FILE          results file (default bench/results/[ws-|tls-]<YYYY-MM-DD>.md,
                      suffixed if taken)
  --no-save           do not write a results file
  --idle-wait S       before each run wait up to S s for other load to stop (default 30, 0: off)
  --idle-max PCT      "idle" = machine busy below PCT % of one core (default 15)
  --max-other PCT     repeat a run whose other load exceeded PCT % of one core (default 20)
  --retries N         at most N repeats per run; the least disturbed attempt counts (default 2)
  --handler-selftest  only measure the handler against its built-in load generator
  -h, --help          this text`;

/** Parsed options. */
export interface Options {
  durationS: number;
  warmupS: number;
  rounds: number;
  kinds: ServerKind[];
  workers: number[];
  conns: number[];
  mode: BenchMode;
  /** ws mode: message size. */
  wsSize: number;
  /** ws mode: idle connections for the memory reading (0: none). */
  idleConns: number;
  threads: number;
  maxconn: number;
  condure: string;
  main: string;
  out: string | null;
  idleWaitS: number;
  idleMaxPct: number;
  maxOtherPct: number;
  retries: number;
  selftestOnly: boolean;
}

function positiveInt(name: string, text: string): number {
  const n = Number(text.replace(/s$/, ""));
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(
      `Cannot parse --${name} "${text}": expected a positive integer`,
    );
  }
  return n;
}

function nonNegative(name: string, text: string): number {
  const n = Number(text.replace(/s$/, ""));
  if (!Number.isFinite(n) || n < 0) {
    throw new RangeError(
      `Cannot parse --${name} "${text}": expected a number >= 0`,
    );
  }
  return n;
}

function intList(name: string, text: string): number[] {
  return text.split(",").map((t) => positiveInt(name, t.trim()));
}

/** Whether a file exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses the bench flags; throws TypeError/RangeError on bad values.
 *
 * @example
 * ```ts ignore
 * const opts = parseOptions(["--duration", "2", "--only", "condure", "--mode", "ws"]);
 * ```
 */
export function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "3" },
      rounds: { type: "string", default: "2" },
      only: { type: "string" },
      workers: { type: "string", default: "1,2" },
      conns: { type: "string" },
      mode: { type: "string", default: "stream" },
      "ws-size": { type: "string", default: "32" },
      "idle-conns": { type: "string", default: "2000" },
      threads: { type: "string", default: "2" },
      maxconn: { type: "string", default: "20000" },
      condure: { type: "string", default: "/usr/bin/condure" },
      main: {
        type: "string",
        default: new URL("../main.ts", import.meta.url).pathname,
      },
      out: { type: "string" },
      "no-save": { type: "boolean", default: false },
      "handler-selftest": { type: "boolean", default: false },
      "idle-wait": { type: "string", default: "30" },
      "idle-max": { type: "string", default: "15" },
      "max-other": { type: "string", default: "20" },
      retries: { type: "string", default: "2" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const only = values.only === "ours" ? "deno" : values.only;
  if (only !== undefined && only !== "condure" && only !== "deno") {
    throw new TypeError(
      `Cannot parse --only "${values.only}": expected condure or deno`,
    );
  }
  const mode = MODES.find((m) => m === values.mode);
  if (mode === undefined) {
    throw new TypeError(
      `Cannot parse --mode "${values.mode}": expected ${MODES.join(", ")}`,
    );
  }
  const warmupS = Math.round(nonNegative("warmup", values.warmup));
  return {
    durationS: positiveInt("duration", values.duration),
    warmupS,
    rounds: positiveInt("rounds", values.rounds),
    kinds: only === undefined ? ["condure", "deno"] : [only],
    workers: intList("workers", values.workers),
    conns: intList("conns", values.conns ?? DEFAULT_CONNS[mode]),
    mode,
    wsSize: positiveInt("ws-size", values["ws-size"]),
    idleConns: Math.round(nonNegative("idle-conns", values["idle-conns"])),
    threads: positiveInt("threads", values.threads),
    maxconn: positiveInt("maxconn", values.maxconn),
    condure: values.condure,
    main: values.main,
    out: values["no-save"] ? null : values.out ?? "",
    selftestOnly: values["handler-selftest"],
    idleWaitS: nonNegative("idle-wait", values["idle-wait"]),
    idleMaxPct: nonNegative("idle-max", values["idle-max"]),
    maxOtherPct: nonNegative("max-other", values["max-other"]),
    retries: Math.round(nonNegative("retries", values.retries)),
  };
}
