/**
 * Connection-scale benchmark: memory per idle connection, Condure 1.9.1 beside ours.
 *
 *     deno task bench:conns [N …] [--kinds condure,deno] [--types http,ws] [--workers W]
 *                           [--probe K] [--no-save]
 *
 * For each server, connection type and N (default 5000 10000 18000): start the server
 * (`--stream-maxconn 20000`) with bench/_conns_handler.ts, read its settled RSS, open N
 * connections from client processes (≤ 5000 each, one source address 127.0.0.x each), answer
 * one request on every connection (HTTP `GET /` kept alive, or a WebSocket upgrade accepted by
 * the handler) so each is idle-after-request, read the RSS again, time one request on K random
 * idle connections and check that all N are still open. The slope of RSS over N (least squares)
 * is the memory per connection. Results are printed and appended to
 * bench/results/scale-<date>.md.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { machineInfo, machineMarkdown } from "./_machine.ts";
import { stopAll } from "./_proc.ts";
import { serverName } from "./_report.ts";
import type { ServerKind } from "./_server.ts";
import { ClientFleet, percentile } from "./_conns_clients.ts";
import {
  handlerWrapper,
  openSockets,
  publishScaleReport,
  removeHandlerBuild,
  settledRss,
  startConnsServer,
  stopServer,
} from "./_conns_server.ts";

interface Options {
  counts: number[];
  kinds: ServerKind[];
  types: Array<"http" | "ws">;
  workers: number;
  probe: number;
  idleWaitS: number;
  save: boolean;
  condure: string;
}

function parse(args: string[]): Options {
  const o: Options = {
    counts: [],
    kinds: ["condure", "deno"],
    types: ["http", "ws"],
    workers: 1,
    probe: 200,
    idleWaitS: 15,
    save: true,
    condure: "/usr/bin/condure",
  };
  const { values: f, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      kinds: { type: "string" },
      condure: { type: "string" },
      "no-save": { type: "boolean" },
      types: { type: "string" },
      workers: { type: "string" },
      probe: { type: "string" },
      "idle-wait": { type: "string" },
    },
  });
  if (f.kinds) o.kinds = f.kinds.split(",") as ServerKind[];
  if (f.types) o.types = f.types.split(",") as Array<"http" | "ws">;
  if (f.workers) o.workers = Number(f.workers);
  if (f.probe) o.probe = Number(f.probe);
  if (f["idle-wait"]) o.idleWaitS = Number(f["idle-wait"]);
  if (f.condure) o.condure = f.condure;
  if (f["no-save"]) o.save = false;
  for (const a of positionals) {
    if (!/^\d+$/.test(a)) throw new RangeError(`unknown argument ${a}`);
    o.counts.push(Number(a));
  }
  if (o.counts.length === 0) o.counts = [5000, 10000, 18000];
  if (o.counts.some((n) => n > 19_000)) {
    throw new RangeError("N above 19000 does not fit the 20000 open-files cap");
  }
  return o;
}

interface Row {
  kind: ServerKind;
  type: "http" | "ws";
  n: number;
  open: number;
  failed: number;
  openMs: number;
  baseKiB: number;
  loadedKiB: number;
  afterProbeKiB: number;
  idleKiB: number;
  p50: number;
  p99: number;
  max: number;
  probeErrors: number;
  stillOpen: number;
  sockets: number;
}

/** Least-squares slope and intercept of y over x. */
function fit(
  points: Array<[number, number]>,
): { slope: number; icept: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  const slope = den === 0 ? (mx === 0 ? 0 : my / mx) : num / den;
  return { slope, icept: my - slope * mx };
}

const kib = (x: number) => `${(x / 1024).toFixed(1)} MiB`;
const ms = (x: number) => Number.isNaN(x) ? "–" : `${x.toFixed(1)} ms`;

async function measure(
  kind: ServerKind,
  type: "http" | "ws",
  n: number,
  o: Options,
  handlerBin: string,
): Promise<Row> {
  const s = await startConnsServer(kind, {
    workers: o.workers,
    maxconn: 20_000,
    handlerBin,
    condure: o.condure,
  });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const baseKiB = await settledRss(s.server.pid);
    const fleet = new ClientFleet({
      port: s.port,
      count: n,
      kind: type,
      refreshMs: 40_000,
    });
    try {
      const ready = await fleet.open();
      await new Promise((r) => setTimeout(r, 2000));
      const loadedKiB = await settledRss(s.server.pid, 7, 250);
      const sockets = openSockets(s.server.pid);
      const probe = await fleet.probe(o.probe);
      const afterProbeKiB = await settledRss(s.server.pid, 3, 200);
      // idle for a while: the GC's memory reducer has run (steady state)
      await new Promise((r) => setTimeout(r, o.idleWaitS * 1000));
      const idleKiB = await settledRss(s.server.pid, 5, 200);
      const count = await fleet.count();
      const row: Row = {
        kind,
        type,
        n,
        open: ready.open,
        failed: ready.failed,
        openMs: ready.ms,
        baseKiB,
        loadedKiB,
        afterProbeKiB,
        idleKiB,
        p50: percentile(probe.latenciesMs, 50),
        p99: percentile(probe.latenciesMs, 99),
        max: percentile(probe.latenciesMs, 100),
        probeErrors: probe.errors,
        stillOpen: count.open,
        sockets,
      };
      console.log(
        `${
          serverName(kind)
        } ${type} N=${n}: open ${ready.open} (failed ${ready.failed}, ${ready.ms} ms), ` +
          `RSS ${kib(baseKiB)} → ${kib(loadedKiB)} (${
            ((loadedKiB - baseKiB) / n).toFixed(2)
          } KiB/conn), ` +
          `after ${o.idleWaitS} s idle ${kib(idleKiB)} (${
            ((idleKiB - baseKiB) / n).toFixed(2)
          } KiB/conn), ` +
          `probe p50 ${ms(row.p50)} p99 ${
            ms(row.p99)
          } errors ${probe.errors}, still open ${count.open}`,
      );
      return row;
    } finally {
      await fleet.close();
    }
  } finally {
    await stopServer(s);
  }
}

function markdown(rows: Row[], o: Options, machine: string): string {
  const out: string[] = [];
  out.push(
    `## Idle connections: RSS per connection (\`deno task bench:conns\`)`,
  );
  out.push("");
  out.push(machine);
  out.push(
    `- Command: \`deno task bench:conns ${
      o.counts.join(" ")
    }\` (--workers ${o.workers}, ` +
      `--stream-maxconn 20000, handler bench/_conns_handler.ts, probe ${o.probe} random idle connections)`,
  );
  out.push("");
  out.push(
    `| server | type | N | opened (failed) | open time | RSS before | RSS with N idle | Δ per conn | RSS ${o.idleWaitS} s later | Δ per conn | probe p50 | probe p99 | probe max | probe errors | still open |`,
  );
  out.push("|:--|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const r of rows) {
    out.push(
      `| ${
        serverName(r.kind)
      } | ${r.type} | ${r.n} | ${r.open} (${r.failed}) | ${
        (r.openMs / 1000).toFixed(1)
      } s | ${kib(r.baseKiB)} | ${kib(r.loadedKiB)} | ${
        ((r.loadedKiB - r.baseKiB) / r.n).toFixed(2)
      } KiB | ${kib(r.idleKiB)} | ${
        ((r.idleKiB - r.baseKiB) / r.n).toFixed(2)
      } KiB | ${ms(r.p50)} | ${ms(r.p99)} | ${
        ms(r.max)
      } | ${r.probeErrors} | ${r.stillOpen} |`,
    );
  }
  out.push("");
  out.push(
    `| server | type | fitted slope (RSS over N) | intercept | slope ${o.idleWaitS} s later | intercept |`,
  );
  out.push("|:--|:--|--:|--:|--:|--:|");
  for (const kind of o.kinds) {
    for (const type of o.types) {
      const sel = rows.filter((r) => r.kind === kind && r.type === type);
      // every run adds two points: (0, RSS before) and (N, RSS with N idle)
      const pts = sel.flatMap((r) => [
        [0, r.baseKiB] as [number, number],
        [r.n, r.loadedKiB] as [number, number],
      ]);
      if (pts.length === 0) continue;
      const { slope, icept } = fit(pts);
      const late = fit(sel.flatMap((r) => [
        [0, r.baseKiB] as [number, number],
        [r.n, r.idleKiB] as [number, number],
      ]));
      out.push(
        `| ${serverName(kind)} | ${type} | **${slope.toFixed(2)} KiB/conn** | ${
          kib(icept)
        } | **${late.slope.toFixed(2)} KiB/conn** | ${kib(late.icept)} |`,
      );
    }
  }
  out.push("");
  return out.join("\n");
}

async function main(): Promise<number> {
  const o = parse(Deno.args);
  const info = await machineInfo(o.condure);
  const handlerBin = await handlerWrapper();
  const rows: Row[] = [];
  try {
    for (const type of o.types) {
      for (const n of o.counts) {
        for (const kind of o.kinds) {
          rows.push(await measure(kind, type, n, o, handlerBin));
        }
      }
    }
  } finally {
    await stopAll();
    await removeHandlerBuild(handlerBin);
  }
  const md = markdown(rows, o, machineMarkdown(info));
  await publishScaleReport(md, o.save);
  return rows.some((r) =>
      r.failed > 0 || r.probeErrors > 0 || r.stillOpen < r.open
    )
    ? 1
    : 0;
}

if (import.meta.main) {
  Deno.addSignalListener("SIGINT", () => {
    void stopAll().then(() => Deno.exit(130));
  });
  Deno.exit(await main());
}
