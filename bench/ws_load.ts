/**
 * WebSocket load for the benchmark: builds and runs the native client
 * (bench/ws_client.c) in echo mode (messages/s, round-trip percentiles) or
 * idle mode (N open, idle connections for a memory reading), and parses its
 * JSON reports.
 *
 * @module
 */

import { buildC } from "./_handler.ts";
import {
  atStopAll,
  killTree,
  PRINT_CHILD_CPU,
  waitedChildCpuSeconds,
} from "./_proc.ts";
import type { WsIdleRecord } from "./_report.ts";
import type { RunningServer } from "./_server.ts";
import type { WrkResult } from "./_wrk.ts";

/** Socket errors of the ws client by kind. */
export interface WsErrors {
  /** TCP connect or upgrade handshake failures. */
  connect: number;
  /** Read failures: EOF, close frame, wrong or malformed echo. */
  read: number;
  /** Failed or short writes. */
  write: number;
}

/** The report of `ws_client echo`. */
export interface WsEchoResult {
  /** Connections asked for. */
  connections: number;
  /** Connections whose upgrade succeeded. */
  opened: number;
  /** Connections still open when the run ended. */
  openAtEnd: number;
  /** Message size in bytes. */
  size: number;
  /** Seconds the connect phase took. */
  connectS: number;
  /** Seconds of the measured window. */
  seconds: number;
  /** Echoes completed in the window. */
  messages: number;
  /** `messages / seconds`. */
  messagesPerS: number;
  /** Round-trip percentiles in ms. */
  p50Ms: number;
  /** 90th percentile round trip in ms. */
  p90Ms: number;
  /** 99th percentile round trip in ms. */
  p99Ms: number;
  /** Slowest round trip in ms. */
  maxMs: number;
  /** Fewest echoes of one connection. */
  perConnMin: number;
  /** Most echoes of one connection. */
  perConnMax: number;
  /** Connections waiting more than 1 s for an echo when the run ended. */
  stalled: number;
  errors: WsErrors;
}

/** The first report of `ws_client idle` (all connections open and idle). */
export interface WsIdleResult {
  connections: number;
  /** Connections open. */
  open: number;
  /** Connections that exchanged their one message. */
  echoed: number;
  /** Seconds to open them and exchange the messages. */
  seconds: number;
  /** 99th percentile of those round trips in ms. */
  p99Ms: number;
  errors: WsErrors;
}

/** The last report of `ws_client idle`. */
export interface WsIdleEnd {
  /** Connections still open when told to stop. */
  open: number;
  /** Connections the server closed while they were idle. */
  closedByServer: number;
}

type Json = Record<string, unknown>;

function object(line: string, mode: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new SyntaxError(`Cannot parse ws client output: ${line}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new SyntaxError(`Cannot parse ws client output: ${line}`);
  }
  const o = v as Json;
  if (o.mode !== mode) {
    throw new SyntaxError(
      `Cannot parse ws client output: expected mode "${mode}" in ${line}`,
    );
  }
  return o;
}

function num(o: Json, key: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new SyntaxError(
      `Cannot parse ws client output: "${key}" is not a number`,
    );
  }
  return v;
}

function errors(o: Json): WsErrors {
  const e = o.errors;
  if (typeof e !== "object" || e === null) {
    throw new SyntaxError(`Cannot parse ws client output: no "errors"`);
  }
  const m = e as Json;
  return {
    connect: num(m, "connect"),
    read: num(m, "read"),
    write: num(m, "write"),
  };
}

/**
 * Parses the JSON line of `ws_client echo`; throws SyntaxError if it is not
 * one or a field is missing.
 *
 * @example
 * ```ts ignore
 * const r = parseWsEcho(line);
 * console.log(r.messagesPerS, r.p99Ms);
 * ```
 */
export function parseWsEcho(line: string): WsEchoResult {
  const o = object(line, "echo");
  return {
    connections: num(o, "connections"),
    opened: num(o, "opened"),
    openAtEnd: num(o, "open_at_end"),
    size: num(o, "size"),
    connectS: num(o, "connect_s"),
    seconds: num(o, "seconds"),
    messages: num(o, "messages"),
    messagesPerS: num(o, "messages_per_s"),
    p50Ms: num(o, "p50_ms"),
    p90Ms: num(o, "p90_ms"),
    p99Ms: num(o, "p99_ms"),
    maxMs: num(o, "max_ms"),
    perConnMin: num(o, "per_conn_min"),
    perConnMax: num(o, "per_conn_max"),
    stalled: num(o, "stalled"),
    errors: errors(o),
  };
}

/**
 * Parses the first JSON line of `ws_client idle`.
 *
 * @example
 * ```ts ignore
 * const r = parseWsIdle(line);
 * ```
 */
export function parseWsIdle(line: string): WsIdleResult {
  const o = object(line, "idle");
  return {
    connections: num(o, "connections"),
    open: num(o, "open"),
    echoed: num(o, "echoed"),
    seconds: num(o, "seconds"),
    p99Ms: num(o, "p99_ms"),
    errors: errors(o),
  };
}

/**
 * Parses the last JSON line of `ws_client idle`.
 *
 * @example
 * ```ts ignore
 * const r = parseWsIdleEnd(line);
 * ```
 */
export function parseWsIdleEnd(line: string): WsIdleEnd {
  const o = object(line, "idle-end");
  return { open: num(o, "open"), closedByServer: num(o, "closed_by_server") };
}

/**
 * The echo report in the shape of a wrk report, so that the tables treat
 * messages like requests: connection failures are `connect` errors, stalled
 * connections `timeout` errors.
 *
 * @example
 * ```ts ignore
 * const load = echoAsLoad(parseWsEcho(line), { cpuSeconds: 1, wallSeconds: 10, output: line });
 * ```
 */
export function echoAsLoad(
  r: WsEchoResult,
  extra: { cpuSeconds: number; wallSeconds: number; output: string },
): WrkResult {
  return {
    requests: r.messages,
    seconds: r.seconds,
    rps: r.messagesPerS,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    non2xx: 0,
    errors: {
      connect: Math.max(r.errors.connect, r.connections - r.opened),
      read: r.errors.read,
      write: r.errors.write,
      timeout: r.stalled,
    },
    ...extra,
  };
}

/**
 * Compiles bench/ws_client.c (cached like the handler) and returns its path.
 *
 * @example
 * ```ts ignore
 * const bin = await buildWsClient();
 * ```
 */
export function buildWsClient(): Promise<string> {
  return buildC("ws_client.c", []);
}

/** Options of {@linkcode runWsEcho}. */
export interface WsEchoOptions {
  /** Connections. */
  conns: number;
  /** Seconds of the measured window. */
  seconds: number;
  /** Message size in bytes. */
  size: number;
  /** Clock ticks per second for the client's CPU time. */
  clkTck: number;
}

/** Runs `cmd` under `sh` with the hard open-files limit; the script prints the shell's stat at exit. */
const WRAP = `ulimit -n "$(ulimit -Hn)"; "$@"; ${PRINT_CHILD_CPU}`;

/**
 * Runs one echo load against `ws://127.0.0.1:<port>/ws` and returns the
 * report plus the same as a wrk-shaped result (with the client's CPU time).
 *
 * @example
 * ```ts ignore
 * const { result } = await runWsEcho(bin, 8000, { conns: 100, seconds: 10, size: 32, clkTck: 100 });
 * ```
 */
export async function runWsEcho(
  bin: string,
  port: number,
  options: WsEchoOptions,
): Promise<{ result: WsEchoResult; load: WrkResult }> {
  const args = [
    "echo",
    String(port),
    String(options.conns),
    String(options.seconds),
    String(options.size),
  ];
  const t0 = performance.now();
  const child = new Deno.Command("sh", {
    args: ["-c", WRAP, "sh", bin, ...args],
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
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) {
    throw new Error(
      `ws_client ${
        args.join(" ")
      } failed (exit ${out.code}):\n${stdout}\n${stderr}`,
    );
  }
  const result = parseWsEcho(stdout.split("\n").pop() ?? "");
  return {
    result,
    load: echoAsLoad(result, {
      cpuSeconds: waitedChildCpuSeconds(stderr, options.clkTck),
      wallSeconds,
      output: stdout,
    }),
  };
}

/** Reads text lines from a byte stream. */
class LineReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffered = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line (without "\n"), or null at the end. */
  async next(): Promise<string | null> {
    for (;;) {
      const nl = this.#buffered.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffered.slice(0, nl);
        this.#buffered = this.#buffered.slice(nl + 1);
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) {
        const rest = this.#buffered;
        this.#buffered = "";
        return rest === "" ? null : rest;
      }
      this.#buffered += value;
    }
  }

  /** Reads to the end and releases the stream. */
  async rest(): Promise<string[]> {
    const lines: string[] = [];
    for (let l = await this.next(); l !== null; l = await this.next()) {
      lines.push(l);
    }
    this.#reader.releaseLock();
    return lines;
  }
}

/**
 * N idle WebSocket connections held open by one `ws_client idle` process
 * (each exchanged one message first).
 *
 * @example
 * ```ts ignore
 * const idle = await IdleWsClients.open(bin, 8000, { conns: 2000, size: 32, timeoutMs: 60_000 });
 * console.log(idle.report.open);
 * const end = await idle.close();
 * ```
 */
export class IdleWsClients {
  #child: Deno.ChildProcess;
  #lines: LineReader;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #unregister: () => void;
  /** What the client reported once every connection was open and idle. */
  readonly report: WsIdleResult;

  private constructor(
    child: Deno.ChildProcess,
    lines: LineReader,
    stdin: WritableStreamDefaultWriter<Uint8Array>,
    unregister: () => void,
    report: WsIdleResult,
  ) {
    this.#child = child;
    this.#lines = lines;
    this.#stdin = stdin;
    this.#unregister = unregister;
    this.report = report;
  }

  /** Starts the client and waits until it reports its connections idle. */
  static async open(
    bin: string,
    port: number,
    options: { conns: number; size: number; timeoutMs: number },
  ): Promise<IdleWsClients> {
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        'ulimit -n "$(ulimit -Hn)"; exec "$@"',
        "sh",
        bin,
        "idle",
        String(port),
        String(options.conns),
        String(options.size),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const unregister = atStopAll(() => killTree(child.pid));
    const lines = new LineReader(child.stdout);
    const stdin = child.stdin.getWriter();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("ws_client idle did not report in time")),
          options.timeoutMs,
        );
      });
      const line = await Promise.race([lines.next(), timeout]);
      if (line === null) throw new Error("ws_client idle exited early");
      return new IdleWsClients(
        child,
        lines,
        stdin,
        unregister,
        parseWsIdle(line),
      );
    } catch (e) {
      killTree(child.pid);
      await stdin.close().catch(() => {});
      await lines.rest().catch(() => []);
      await child.status;
      unregister();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Tells the client to close its connections (stdin EOF) and waits for its last report. */
  async close(): Promise<WsIdleEnd> {
    await this.#stdin.close().catch(() => {});
    const rest = await this.#lines.rest();
    await this.#child.status;
    this.#unregister();
    return parseWsIdleEnd(rest.pop() ?? "");
  }
}

/** Options of {@linkcode measureWsIdle}. */
export interface WsIdleOptions {
  /** The ws client binary. */
  bin: string;
  /** Idle connections to open. */
  conns: number;
  /** Size of the one message each connection exchanges. */
  size: number;
  /** Wait this long with the connections idle before reading the RSS. */
  settleMs?: number;
}

/** The RSS of `rssKiB()` once it settled: the median of 3 readings 300 ms apart. */
async function settledRss(proc: { rssKiB(): number }): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 300));
    xs.push(proc.rssKiB());
  }
  return xs.sort((a, b) => a - b)[1]!;
}

/**
 * On a server that has not served WebSockets yet: reads its settled RSS,
 * opens `conns / 2` WebSocket connections (one message each, then idle),
 * reads the RSS, opens the other half, reads it again, closes them all. The
 * second half's growth per connection leaves out one-time costs (code paths
 * and pools that the first connections warm up); a garbage-collected server
 * may still absorb some of it in heap it already holds.
 *
 * @example
 * ```ts ignore
 * const rec = await measureWsIdle(server, { bin, conns: 2000, size: 32 });
 * ```
 */
export async function measureWsIdle(
  s: RunningServer,
  options: WsIdleOptions,
): Promise<WsIdleRecord> {
  const settleMs = options.settleMs ?? 2000;
  const first = Math.floor(options.conns / 2);
  const open = (conns: number) =>
    IdleWsClients.open(options.bin, s.port, {
      conns,
      size: options.size,
      timeoutMs: 120_000,
    });
  const settle = () => new Promise((r) => setTimeout(r, settleMs));
  await settle();
  const rssBeforeKiB = await settledRss(s.server);
  const clients: IdleWsClients[] = [];
  let rssHalfKiB = NaN;
  let rssAfterKiB = NaN;
  let closed = 0;
  try {
    clients.push(await open(first));
    await settle();
    rssHalfKiB = await settledRss(s.server);
    clients.push(await open(options.conns - first));
    await settle();
    rssAfterKiB = await settledRss(s.server);
  } finally {
    for (const c of clients) closed += (await c.close()).closedByServer;
  }
  return {
    server: s.kind,
    workers: s.workers,
    conns: options.conns,
    openHalf: clients[0]!.report.echoed,
    open: clients.reduce((n, c) => n + c.report.echoed, 0),
    rssBeforeKiB,
    rssHalfKiB,
    rssAfterKiB,
    closedByServer: closed,
  };
}
