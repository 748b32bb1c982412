/**
 * Benchmark results: per-run records, aggregation over rounds, markdown
 * tables (printed to the console and saved under bench/results/).
 *
 * @module
 */

import type { ServerKind } from "./_server.ts";
import { errorCount, type WrkResult } from "./_wrk.ts";

/** One measured wrk run. */
export interface RunRecord {
  server: ServerKind;
  workers: number;
  conns: number;
  round: number;
  wrk: WrkResult;
  /** Server CPU seconds (process + descendants) during the run. */
  serverCpuS: number;
  /** Handler CPU seconds during the run. */
  handlerCpuS: number;
  /** CPU seconds used by everything else on the machine during the run. */
  otherCpuS: number;
}

/** Aggregate of the rounds of one (server, workers, conns) cell. */
export interface Summary {
  server: ServerKind;
  workers: number;
  conns: number;
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
    const key = `${r.workers}|${r.conns}|${r.server}`;
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
  return out.sort((a, b) =>
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

/**
 * The summary table; rows for our server carry the ratio to Condure's row
 * of the same workers/conns.
 *
 * @example
 * ```ts ignore
 * console.log(summaryTable(summarize(records)));
 * ```
 */
export function summaryTable(cells: Summary[]): string {
  const rows = cells.map((c) => {
    const base = cells.find((b) =>
      b.server === "condure" && b.workers === c.workers && b.conns === c.conns
    );
    const ratio = c.server !== "condure" && base !== undefined;
    return [
      serverName(c.server),
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
      ratio ? `${fmt(c.p99Ms / base.p99Ms, 2)}x` : "",
    ];
  });
  return table([
    "server",
    "workers",
    "conns",
    "req/s (min–max)",
    "p99",
    "server CPU µs/req",
    "server CPU",
    "handler CPU",
    "wrk CPU",
    "other CPU",
    "errors",
    "req/s ours/condure",
    "p99 ours/condure",
  ], rows);
}

/**
 * One row per wrk run, in the order they ran.
 *
 * @example
 * ```ts ignore
 * console.log(runsTable(records));
 * ```
 */
export function runsTable(runs: RunRecord[]): string {
  return table(
    [
      "#",
      "server",
      "workers",
      "conns",
      "round",
      "req/s",
      "p50",
      "p99",
      "server CPU µs/req",
      "handler CPU",
      "other CPU",
      "errors",
    ],
    runs.map((r, i) => [
      String(i + 1),
      serverName(r.server),
      String(r.workers),
      String(r.conns),
      String(r.round),
      fmtInt(r.wrk.rps),
      fmtMs(r.wrk.p50Ms),
      fmtMs(r.wrk.p99Ms),
      fmt(r.serverCpuS * 1e6 / r.wrk.requests, 1),
      `${fmt(r.handlerCpuS * 100 / r.wrk.wallSeconds, 0)} %`,
      `${fmt(r.otherCpuS * 100 / r.wrk.wallSeconds, 0)} %`,
      String(errorCount(r.wrk)),
    ]),
    2,
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
  return `${
    serverName(r.server)
  } w${r.workers} c${r.conns} round ${r.round}: non-2xx ${r.wrk.non2xx}, ` +
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
    summaryTable(summarize(r.runs)),
    "",
    "## Peak RSS",
    "",
    rssTable(r.rss),
    "",
    "## Runs",
    "",
    runsTable(r.runs),
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
