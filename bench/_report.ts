/**
 * Benchmark results: per-run records, aggregation over rounds, markdown
 * tables (printed to the console and saved under bench/results/).
 *
 * @module
 */

import type { ServerKind } from "./_server.ts";
import { errorCount, type WrkResult } from "./_wrk.ts";

/** One measured load run (wrk, or the ws client's report in wrk's shape). */
export interface RunRecord {
  server: ServerKind;
  workers: number;
  conns: number;
  round: number;
  /** Which load ran, when a mode has several (e.g. TLS keep-alive vs close); rows group by it. */
  load?: string;
  /** The load generator's report (ws mode: requests = echoed messages). */
  wrk: WrkResult;
  /** TCP connections the machine accepted during the run (PassiveOpens growth), if measured. */
  tcpAccepts?: number;
  /** Server CPU seconds (process + descendants) during the run. */
  serverCpuS: number;
  /** Handler CPU seconds during the run. */
  handlerCpuS: number;
  /** CPU seconds used by everything else on the machine during the run. */
  otherCpuS: number;
}

/** Aggregate of the rounds of one (server, workers, conns, load) cell. */
export interface Summary {
  server: ServerKind;
  workers: number;
  conns: number;
  /** The load ("" when the mode has one). */
  load: string;
  rounds: number;
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p99Ms: number;
  serverUsPerReq: number;
  serverCpuPct: number;
  handlerCpuPct: number;
  wrkCpuPct: number;
  otherCpuPct: number;
  errors: number;
}

const mean = (xs: number[]): number =>
  xs.reduce((a, b) => a + b, 0) / xs.length;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * Groups runs by (server, workers, conns) and aggregates them: mean req/s
 * (with min/max), mean p99, CPU per request from totals, CPU shares in % of
 * one core.
 *
 * @example
 * ```ts ignore
 * const cells = summarize(records);
 * ```
 */
export function summarize(runs: RunRecord[]): Summary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = `${r.workers}|${r.conns}|${r.load ?? ""}|${r.server}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const out: Summary[] = [];
  for (const g of groups.values()) {
    const first = g[0]!;
    const wall = sum(g.map((r) => r.wrk.wallSeconds));
    const rps = g.map((r) => r.wrk.rps);
    out.push({
      server: first.server,
      workers: first.workers,
      conns: first.conns,
      load: first.load ?? "",
      rounds: g.length,
      rps: mean(rps),
      rpsMin: Math.min(...rps),
      rpsMax: Math.max(...rps),
      p99Ms: mean(g.map((r) => r.wrk.p99Ms)),
      serverUsPerReq: sum(g.map((r) => r.serverCpuS)) * 1e6 /
        sum(g.map((r) => r.wrk.requests)),
      serverCpuPct: sum(g.map((r) => r.serverCpuS)) * 100 / wall,
      handlerCpuPct: sum(g.map((r) => r.handlerCpuS)) * 100 / wall,
      wrkCpuPct: sum(g.map((r) => r.wrk.cpuSeconds)) * 100 / wall,
      otherCpuPct: sum(g.map((r) => r.otherCpuS)) * 100 / wall,
      errors: sum(g.map((r) => errorCount(r.wrk))),
    });
  }
  const order = (k: ServerKind) => (k === "condure" ? 0 : 1);
  const loads = [...new Set(runs.map((r) => r.load ?? ""))];
  return out.sort((a, b) =>
    loads.indexOf(a.load) - loads.indexOf(b.load) ||
    a.workers - b.workers || a.conns - b.conns ||
    order(a.server) - order(b.server)
  );
}

/**
 * How a server kind is shown in tables.
 *
 * @example
 * ```ts ignore
 * serverName("deno"); // "ours"
 * ```
 */
export function serverName(kind: ServerKind): string {
  return kind === "deno" ? "ours" : "condure";
}

function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–";
}

function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(2)} ms` : "–";
}

function ratioText(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : "–";
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "–";
}

/** A markdown table; the first `textColumns` columns are left-aligned, the rest right. */
function table(header: string[], rows: string[][], textColumns = 1): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const sep = `|${
    header.map((_, i) => i < textColumns ? ":---|" : "---:|").join("")
  }`;
  return [line(header), sep, ...rows.map(line)].join("\n");
}

/** How the tables name what is counted and what generates the load. */
export interface Units {
  /** "req" or "msg": column headers say `<unit>/s`, `µs/<unit>`. */
  unit: string;
  /** Name of the load generator ("wrk", "ws client"). */
  client: string;
}

const WRK_UNITS: Units = { unit: "req", client: "wrk" };

/**
 * The summary table; rows for our server carry the ratio to Condure's row
 * of the same workers/conns/load. A "load" column appears when runs have one.
 *
 * @example
 * ```ts ignore
 * console.log(summaryTable(summarize(records)));
 * ```
 */
export function summaryTable(cells: Summary[], units = WRK_UNITS): string {
  const withLoad = cells.some((c) => c.load !== "");
  const u = units.unit;
  const rows = cells.map((c) => {
    const base = cells.find((b) =>
      b.server === "condure" && b.workers === c.workers &&
      b.conns === c.conns && b.load === c.load
    );
    const ratio = c.server !== "condure" && base !== undefined;
    return [
      serverName(c.server),
      ...(withLoad ? [c.load] : []),
      String(c.workers),
      String(c.conns),
      `${fmtInt(c.rps)} (${fmtInt(c.rpsMin)}–${fmtInt(c.rpsMax)})`,
      fmtMs(c.p99Ms),
      fmt(c.serverUsPerReq, 1),
      `${fmt(c.serverCpuPct, 0)} %`,
      `${fmt(c.handlerCpuPct, 0)} %`,
      `${fmt(c.wrkCpuPct, 0)} %`,
      `${fmt(c.otherCpuPct, 0)} %`,
      String(c.errors),
      ratio ? `${fmt(c.rps / base.rps, 2)}x` : "",
      ratio ? ratioText(c.p99Ms / base.p99Ms) : "",
    ];
  });
  return table(
    [
      "server",
      ...(withLoad ? ["load"] : []),
      "workers",
      "conns",
      `${u}/s (min–max)`,
      "p99",
      `server CPU µs/${u}`,
      "server CPU",
      "handler CPU",
      `${units.client} CPU`,
      "other CPU",
      "errors",
      `${u}/s ours/condure`,
      "p99 ours/condure",
    ],
    rows,
    withLoad ? 2 : 1,
  );
}

/**
 * One row per run, in the order they ran (with "load" and "TCP accepts/req"
 * columns when the runs have them).
 *
 * @example
 * ```ts ignore
 * console.log(runsTable(records));
 * ```
 */
export function runsTable(runs: RunRecord[], units = WRK_UNITS): string {
  const withLoad = runs.some((r) => r.load !== undefined);
  const withAccepts = runs.some((r) => r.tcpAccepts !== undefined);
  const u = units.unit;
  return table(
    [
      "#",
      "server",
      ...(withLoad ? ["load"] : []),
      "workers",
      "conns",
      "round",
      `${u}/s`,
      "p50",
      "p99",
      `server CPU µs/${u}`,
      "handler CPU",
      "other CPU",
      ...(withAccepts ? [`TCP accepts/${u}`] : []),
      "errors",
    ],
    runs.map((r, i) => [
      String(i + 1),
      serverName(r.server),
      ...(withLoad ? [r.load ?? ""] : []),
      String(r.workers),
      String(r.conns),
      String(r.round),
      fmtInt(r.wrk.rps),
      fmtMs(r.wrk.p50Ms),
      fmtMs(r.wrk.p99Ms),
      fmt(r.serverCpuS * 1e6 / r.wrk.requests, 1),
      `${fmt(r.handlerCpuS * 100 / r.wrk.wallSeconds, 0)} %`,
      `${fmt(r.otherCpuS * 100 / r.wrk.wallSeconds, 0)} %`,
      ...(withAccepts ? [fmt((r.tcpAccepts ?? NaN) / r.wrk.requests, 2)] : []),
      String(errorCount(r.wrk)),
    ]),
    withLoad ? 3 : 2,
  );
}

/** Memory of idle WebSocket connections on one server instance. */
export interface WsIdleRecord {
  server: ServerKind;
  workers: number;
  /** Connections asked for (opened in two halves). */
  conns: number;
  /** Connections of the first half open and idle. */
  openHalf: number;
  /** Connections open and idle at the end. */
  open: number;
  /** Settled RSS before opening them, KiB. */
  rssBeforeKiB: number;
  /** Settled RSS with the first half open, KiB. */
  rssHalfKiB: number;
  /** Settled RSS with all open, KiB. */
  rssAfterKiB: number;
  /** Connections the server closed while idle. */
  closedByServer: number;
}

/**
 * KiB of RSS per idle WebSocket connection: over the second half (one-time
 * costs left out) and over all of them.
 *
 * @example
 * ```ts ignore
 * const { marginal, overall } = wsIdleKiB(record);
 * ```
 */
export function wsIdleKiB(
  r: WsIdleRecord,
): { marginal: number; overall: number } {
  return {
    marginal: (r.rssAfterKiB - r.rssHalfKiB) / Math.max(1, r.open - r.openHalf),
    overall: (r.rssAfterKiB - r.rssBeforeKiB) / Math.max(1, r.open),
  };
}

/**
 * RSS growth per idle WebSocket connection, with the ours/condure ratio.
 *
 * @example
 * ```ts ignore
 * console.log(wsIdleTable([{ server: "condure", workers: 1, conns: 2000, openHalf: 1000, open: 2000, rssBeforeKiB: 30000, rssHalfKiB: 35000, rssAfterKiB: 40000, closedByServer: 0 }]));
 * ```
 */
export function wsIdleTable(records: WsIdleRecord[]): string {
  return table(
    [
      "server",
      "workers",
      "idle WS conns",
      "RSS before",
      "RSS half",
      "RSS all",
      "KiB/conn (2nd half)",
      "KiB/conn (all)",
      "closed by server",
      "2nd half ours/condure",
    ],
    records.map((r) => {
      const base = records.find((b) =>
        b.server === "condure" && b.workers === r.workers
      );
      const k = wsIdleKiB(r);
      return [
        serverName(r.server),
        String(r.workers),
        `${r.open}/${r.conns}`,
        `${fmt(r.rssBeforeKiB / 1024, 1)} MiB`,
        `${fmt(r.rssHalfKiB / 1024, 1)} MiB`,
        `${fmt(r.rssAfterKiB / 1024, 1)} MiB`,
        fmt(k.marginal, 1),
        fmt(k.overall, 1),
        String(r.closedByServer),
        r.server !== "condure" && base
          ? `${fmt(k.marginal / wsIdleKiB(base).marginal, 2)}x`
          : "",
      ];
    }),
  );
}

/** Peak RSS of one server instance. */
export interface RssRecord {
  server: ServerKind;
  workers: number;
  peakRssKiB: number;
}

/**
 * Peak RSS table (MiB), with the ours/condure ratio.
 *
 * @example
 * ```ts ignore
 * console.log(rssTable([{ server: "condure", workers: 1, peakRssKiB: 20480 }]));
 * ```
 */
export function rssTable(records: RssRecord[]): string {
  return table(
    ["server", "workers", "peak RSS", "ours/condure"],
    records.map((r) => {
      const base = records.find((b) =>
        b.server === "condure" && b.workers === r.workers
      );
      return [
        serverName(r.server),
        String(r.workers),
        `${fmt(r.peakRssKiB / 1024, 1)} MiB`,
        r.server !== "condure" && base
          ? `${fmt(r.peakRssKiB / base.peakRssKiB, 2)}x`
          : "",
      ];
    }),
  );
}

/**
 * Describes one wrk run's errors ("" when there were none).
 *
 * @example
 * ```ts ignore
 * const text = describeErrors(record);
 * ```
 */
export function describeErrors(r: RunRecord): string {
  if (errorCount(r.wrk) === 0) return "";
  const e = r.wrk.errors;
  const load = r.load === undefined ? "" : ` ${r.load}`;
  return `${
    serverName(r.server)
  }${load} w${r.workers} c${r.conns} round ${r.round}: non-2xx ${r.wrk.non2xx}, ` +
    `socket errors connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}`;
}

/** Input of {@linkcode resultsMarkdown}. */
export interface ResultsInput {
  title: string;
  /** Markdown list of machine facts. */
  machine: string;
  /** Setup lines (become list items). */
  setup: string[];
  runs: RunRecord[];
  rss: RssRecord[];
  /** Idle WebSocket memory (ws mode). */
  wsIdle?: WsIdleRecord[];
  /** Column wording (default: requests by wrk). */
  units?: Units;
  errors: string[];
  notes: string[];
}

/**
 * The whole results document (printed and saved to bench/results/).
 *
 * @example
 * ```ts ignore
 * const md = resultsMarkdown({ title: "condure", machine: "", setup: [], runs: [], rss: [], errors: [], notes: [] });
 * ```
 */
export function resultsMarkdown(r: ResultsInput): string {
  return [
    `# Benchmark: ${r.title}`,
    "",
    r.machine,
    ...r.setup.map((line) => `- ${line}`),
    "",
    "## Summary",
    "",
    summaryTable(summarize(r.runs), r.units),
    "",
    ...(r.wsIdle === undefined || r.wsIdle.length === 0 ? [] : [
      "## Memory per idle WebSocket connection",
      "",
      wsIdleTable(r.wsIdle),
      "",
    ]),
    "## Peak RSS",
    "",
    rssTable(r.rss),
    "",
    "## Runs",
    "",
    runsTable(r.runs, r.units),
    "",
    "## Errors",
    "",
    r.errors.length === 0
      ? "none (0 non-2xx responses, 0 socket errors, all answered by the handler)"
      : r.errors.map((e) => `- ${e}`).join("\n"),
    ...(r.notes.length === 0
      ? []
      : ["", "## Notes", "", ...r.notes.map((n) => `- ${n}`)]),
    "",
  ].join("\n");
}
