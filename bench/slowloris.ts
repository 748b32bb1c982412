/**
 * Slow and hostile clients:
 *
 *     deno task bench:slowloris [--kinds condure,deno] [--slow 5000] [--seconds 10] [--no-save]
 *
 * 1. Normal traffic alone for `--seconds`: 4 keep-alive clients and 4 clients opening a new
 *    connection per request, GET in a loop; latency percentiles.
 * 2. `--slow` slowloris connections (a request head that never ends, one byte every 3 s per
 *    connection, from client processes), then the same normal traffic again: its latency must
 *    stay where it was, and the slow connections stay open (within the 60 s session timeout).
 * 3. `--stream-maxconn` respected: a server started with `--stream-maxconn 200` gets 300 slow
 *    connections; it must hold exactly 200 (the rest wait in the kernel's backlog).
 *
 * Results are printed and appended to bench/results/scale-<date>.md.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { machineInfo, machineMarkdown } from "./_machine.ts";
import { stopAll } from "./_proc.ts";
import { serverName } from "./_report.ts";
import type { ServerKind } from "./_server.ts";
import { ClientFleet, percentile } from "./_conns_clients.ts";
import { Client, ClientError } from "./_conns_http.ts";
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
  kinds: ServerKind[];
  slow: number;
  seconds: number;
  save: boolean;
  condure: string;
}

function parse(args: string[]): Options {
  const o: Options = {
    kinds: ["condure", "deno"],
    slow: 5000,
    seconds: 10,
    save: true,
    condure: "/usr/bin/condure",
  };
  const { values: f } = parseArgs({
    args,
    options: {
      kinds: { type: "string" },
      condure: { type: "string" },
      "no-save": { type: "boolean" },
      slow: { type: "string" },
      seconds: { type: "string" },
    },
  });
  if (f.kinds) o.kinds = f.kinds.split(",") as ServerKind[];
  if (f.slow) o.slow = Number(f.slow);
  if (f.seconds) o.seconds = Number(f.seconds);
  if (f.condure) o.condure = f.condure;
  if (f["no-save"]) o.save = false;
  return o;
}

const GET = "GET / HTTP/1.1\r\nHost: normal\r\n\r\n";

interface Traffic {
  requests: number;
  errors: number;
  latencies: number[];
}

/** Normal clients for `seconds`: half keep-alive, half a new connection per request. */
async function traffic(port: number, seconds: number): Promise<Traffic> {
  const out: Traffic = { requests: 0, errors: 0, latencies: [] };
  const end = performance.now() + seconds * 1000;
  const once = async (c: Client) => {
    const t = performance.now();
    const r = await c.request(GET, { timeoutMs: 5000, keepBody: true });
    if (r.status !== 200 || r.body !== "hello world\n") {
      throw new ClientError("bad-response", String(r.status));
    }
    out.latencies.push(performance.now() - t);
    out.requests++;
  };
  const keepAlive = async () => {
    let c: Client | null = null;
    while (performance.now() < end) {
      try {
        c ??= await Client.connect(port);
        await once(c);
      } catch {
        out.errors++;
        c?.close();
        c = null;
      }
    }
    c?.close();
  };
  const fresh = async () => {
    while (performance.now() < end) {
      let c: Client | null = null;
      try {
        c = await Client.connect(port);
        await once(c);
      } catch {
        out.errors++;
      } finally {
        c?.close();
      }
    }
  };
  await Promise.all([
    ...Array.from({ length: 4 }, keepAlive),
    ...Array.from({ length: 4 }, fresh),
  ]);
  return out;
}

interface Result {
  kind: ServerKind;
  before: Traffic;
  during: Traffic;
  slowOpen: number;
  slowFailed: number;
  slowClosed: number;
  rssBeforeKiB: number;
  rssSlowKiB: number;
  /** RSS with the slow connections open, before the normal traffic of phase 2. */
  rssSlowIdleKiB: number;
  maxconnHeld: number;
  maxconnOffered: number;
}

async function run(
  kind: ServerKind,
  o: Options,
  handlerBin: string,
): Promise<Result> {
  const s = await startConnsServer(kind, {
    workers: 1,
    maxconn: 20_000,
    handlerBin,
    condure: o.condure,
  });
  let r: Omit<Result, "maxconnHeld" | "maxconnOffered">;
  try {
    await new Promise((res) => setTimeout(res, 1000));
    const before = await traffic(s.port, o.seconds);
    const rssBeforeKiB = await settledRss(s.server.pid);
    const fleet = new ClientFleet({
      port: s.port,
      count: o.slow,
      kind: "slowloris",
      refreshMs: 0,
      dripMs: 3000,
    });
    try {
      const ready = await fleet.open();
      await new Promise((res) => setTimeout(res, 1000));
      const rssSlowIdleKiB = await settledRss(s.server.pid);
      const during = await traffic(s.port, o.seconds);
      const rssSlowKiB = await settledRss(s.server.pid);
      const count = await fleet.count();
      r = {
        kind,
        before,
        during,
        slowOpen: count.open,
        slowFailed: ready.failed,
        slowClosed: count.closedByServer,
        rssBeforeKiB,
        rssSlowKiB,
        rssSlowIdleKiB,
      };
    } finally {
      await fleet.close();
    }
  } finally {
    await stopServer(s);
  }
  // --stream-maxconn
  const m = await startConnsServer(kind, {
    workers: 1,
    maxconn: 200,
    handlerBin,
    condure: o.condure,
  });
  try {
    await new Promise((res) => setTimeout(res, 1000));
    const base = openSockets(m.server.pid);
    const fleet = new ClientFleet({
      port: m.port,
      count: 300,
      kind: "slowloris",
      refreshMs: 0,
      dripMs: 3000,
    });
    try {
      await fleet.open();
      await new Promise((res) => setTimeout(res, 2000));
      const held = openSockets(m.server.pid) - base;
      return { ...r, maxconnHeld: held, maxconnOffered: 300 };
    } finally {
      await fleet.close();
    }
  } finally {
    await stopServer(m);
  }
}

const ms = (x: number) => Number.isNaN(x) ? "–" : `${x.toFixed(2)} ms`;

function markdown(results: Result[], o: Options, machine: string): string {
  const out: string[] = [];
  out.push(`## Slowloris and --stream-maxconn (\`deno task bench:slowloris\`)`);
  out.push("");
  out.push(machine);
  out.push(
    `- Command: \`deno task bench:slowloris --slow ${o.slow} --seconds ${o.seconds}\` (--workers 1; ` +
      `normal traffic: 4 keep-alive + 4 new-connection clients, GET in a loop; slowloris: ` +
      `a head that never ends, 1 byte per 3 s per connection)`,
  );
  out.push("");
  out.push(
    "| server | phase | requests | p50 | p99 | max | errors | slow conns open (failed, closed by server) | RSS after the phase | RSS with only the slow conns |",
  );
  out.push("|:--|:--|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const r of results) {
    for (
      const [phase, t] of [["alone", r.before], [
        `with ${o.slow} slowloris`,
        r.during,
      ]] as const
    ) {
      out.push(
        `| ${serverName(r.kind)} | ${phase} | ${t.requests} | ${
          ms(percentile(t.latencies, 50))
        } | ${ms(percentile(t.latencies, 99))} | ${
          ms(percentile(t.latencies, 100))
        } | ${t.errors} | ${
          phase === "alone"
            ? "–"
            : `${r.slowOpen} (${r.slowFailed}, ${r.slowClosed})`
        } | ${
          ((phase === "alone" ? r.rssBeforeKiB : r.rssSlowKiB) / 1024).toFixed(
            1,
          )
        } MiB | ${
          phase === "alone"
            ? "–"
            : `${(r.rssSlowIdleKiB / 1024).toFixed(1)} MiB`
        } |`,
      );
    }
  }
  out.push("");
  out.push(
    "| server | --stream-maxconn | connections offered | connections held by the server |",
  );
  out.push("|:--|--:|--:|--:|");
  for (const r of results) {
    out.push(
      `| ${
        serverName(r.kind)
      } | 200 | ${r.maxconnOffered} | ${r.maxconnHeld} |`,
    );
  }
  out.push("");
  return out.join("\n");
}

async function main(): Promise<number> {
  const o = parse(Deno.args);
  const info = await machineInfo(o.condure);
  const handlerBin = await handlerWrapper();
  const results: Result[] = [];
  try {
    for (const kind of o.kinds) {
      console.log(`${serverName(kind)} …`);
      results.push(await run(kind, o, handlerBin));
    }
  } finally {
    await stopAll();
    await removeHandlerBuild(handlerBin);
  }
  const md = markdown(results, o, machineMarkdown(info));
  await publishScaleReport(md, o.save);
  return results.some((r) =>
      r.during.errors > 0 || r.maxconnHeld > 200 || r.slowOpen < o.slow
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
