/**
 * Soak test: mixed load on one server for a while, RSS sampled every second.
 *
 *     deno task bench:soak [--kinds deno,condure] [--seconds 60] [--users 48]
 *                          [--workers 1] [--restart-every 20] [--no-save]
 *
 * Each virtual user loops over random scenarios until the time is up: a new connection with
 * one request; 20 keep-alive requests; a streamed 256 KiB response (paced by credits); a
 * 128 KiB upload; a client that vanishes after 16 KiB of a 2 MiB response; a WebSocket with
 * 10 echoes. Every `--restart-every` seconds the handler is restarted (SIGTERM: it drains and
 * exits, a new one starts). At the end every client socket is closed and the server must drop
 * back to the sockets it had before the load (no stuck sessions) within the 60 s session
 * timeout plus a tick. Requests that go unanswered because they were pushed to a handler in
 * the middle of its restart are counted apart from errors. Results are printed and appended to
 * bench/results/scale-<date>.md.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { machineInfo, machineMarkdown } from "./_machine.ts";
import { stopAll } from "./_proc.ts";
import { serverName } from "./_report.ts";
import type { ServerKind } from "./_server.ts";
import { percentile } from "./_conns_clients.ts";
import { Client, ClientError } from "./_conns_http.ts";
import {
  handlerWrapper,
  openSockets,
  publishScaleReport,
  removeHandlerBuild,
  restartHandler,
  rssKiB,
  startConnsServer,
  stopServer,
} from "./_conns_server.ts";

interface Options {
  kinds: ServerKind[];
  seconds: number;
  users: number;
  workers: number;
  restartEveryS: number;
  save: boolean;
  condure: string;
}

function parse(args: string[]): Options {
  const o: Options = {
    kinds: ["deno"],
    seconds: 60,
    users: 48,
    workers: 1,
    restartEveryS: 20,
    save: true,
    condure: "/usr/bin/condure",
  };
  const { values: f } = parseArgs({
    args,
    options: {
      kinds: { type: "string" },
      condure: { type: "string" },
      "no-save": { type: "boolean" },
      seconds: { type: "string" },
      users: { type: "string" },
      workers: { type: "string" },
      "restart-every": { type: "string" },
    },
  });
  if (f.kinds) o.kinds = f.kinds.split(",") as ServerKind[];
  if (f.seconds) o.seconds = Number(f.seconds);
  if (f.users) o.users = Number(f.users);
  if (f.workers) o.workers = Number(f.workers);
  if (f["restart-every"]) o.restartEveryS = Number(f["restart-every"]);
  if (f.condure) o.condure = f.condure;
  if (f["no-save"]) o.save = false;
  return o;
}

const TIMEOUT_MS = 10_000;
const GET = "GET / HTTP/1.1\r\nHost: soak\r\n\r\n";

type Scenario = "new" | "keepalive" | "stream" | "upload" | "vanish" | "ws";
const SCENARIOS: Array<[Scenario, number]> = [
  ["new", 30],
  ["keepalive", 25],
  ["stream", 12],
  ["upload", 12],
  ["vanish", 8],
  ["ws", 13],
];

function pick(): Scenario {
  let r = Math.random() * 100;
  for (const [s, w] of SCENARIOS) {
    if ((r -= w) < 0) return s;
  }
  return "new";
}

interface Stats {
  scenarios: Record<Scenario, number>;
  requests: number;
  latencies: number[];
  errors: Map<string, number>;
  lostAtRestart: number;
  examples: string[];
}

async function scenario(
  kind: Scenario,
  port: number,
  stats: Stats,
): Promise<void> {
  const c = await Client.connect(port);
  try {
    const timed = async <T>(f: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      const r = await f();
      stats.latencies.push(performance.now() - t);
      stats.requests++;
      return r;
    };
    const expect = (ok: boolean, what: string) => {
      if (!ok) throw new ClientError("bad-response", what);
    };
    switch (kind) {
      case "new": {
        const r = await timed(() =>
          c.request(GET, { timeoutMs: TIMEOUT_MS, keepBody: true })
        );
        expect(
          r.status === 200 && r.body === "hello world\n",
          `GET: ${r.status}`,
        );
        break;
      }
      case "keepalive":
        for (let i = 0; i < 20; i++) {
          const r = await timed(() =>
            c.request(GET, { timeoutMs: TIMEOUT_MS, keepBody: true })
          );
          expect(
            r.status === 200 && r.body === "hello world\n",
            `keep-alive GET: ${r.status}`,
          );
        }
        break;
      case "stream": {
        const n = 256 * 1024;
        const r = await timed(() =>
          c.request(`GET /stream?n=${n} HTTP/1.1\r\nHost: soak\r\n\r\n`, {
            timeoutMs: TIMEOUT_MS,
          })
        );
        expect(
          r.status === 200 && r.bodyLength === n,
          `stream: ${r.status} ${r.bodyLength}`,
        );
        break;
      }
      case "upload": {
        const n = 128 * 1024;
        const body = new Uint8Array(n).fill(0x62);
        const r = await timed(() =>
          c.request(
            `POST /upload HTTP/1.1\r\nHost: soak\r\nContent-Length: ${n}\r\n\r\n`,
            { body, timeoutMs: TIMEOUT_MS, keepBody: true },
          )
        );
        expect(
          r.status === 200 && r.body === `got ${n}\n`,
          `upload: ${r.status} ${r.body}`,
        );
        break;
      }
      case "vanish": {
        const r = await c.request(
          `GET /stream?n=${2 * 1024 * 1024} HTTP/1.1\r\nHost: soak\r\n\r\n`,
          { timeoutMs: TIMEOUT_MS, readAtMost: 16 * 1024 },
        );
        expect(r.status === 200, `vanish: ${r.status}`);
        break;
      }
      case "ws": {
        await timed(() => c.upgrade(TIMEOUT_MS));
        for (let i = 0; i < 10; i++) {
          const m = `m${i}-${Math.random().toString(36).slice(2, 8)}`;
          const back = await timed(() => c.echo(m, TIMEOUT_MS));
          expect(back === m, `ws echo: ${JSON.stringify(back)}`);
        }
        break;
      }
    }
  } finally {
    c.close();
  }
}

interface Result {
  kind: ServerKind;
  stats: Stats;
  rss: number[];
  baseSockets: number;
  drainS: number;
  stuck: number;
  restarts: number;
  serverLog: string;
  handlerLog: string;
}

async function soak(
  kind: ServerKind,
  o: Options,
  handlerBin: string,
): Promise<Result> {
  const s = await startConnsServer(kind, {
    workers: o.workers,
    maxconn: 20_000,
    handlerBin,
    condure: o.condure,
  });
  const stats: Stats = {
    scenarios: { new: 0, keepalive: 0, stream: 0, upload: 0, vanish: 0, ws: 0 },
    requests: 0,
    latencies: [],
    errors: new Map(),
    lostAtRestart: 0,
    examples: [],
  };
  const rss: number[] = [];
  let restarts = 0;
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const baseSockets = openSockets(s.server.pid);
    const t0 = performance.now();
    const end = t0 + o.seconds * 1000;
    const restartWindows: Array<[number, number]> = [];
    let restarting = false;
    const sampler = setInterval(() => rss.push(rssKiB(s.server.pid)), 1000);
    const restarter = o.restartEveryS > 0
      ? setInterval(async () => {
        if (restarting || performance.now() > end - 2000) return;
        restarting = true;
        const from = performance.now();
        await restartHandler(s, handlerBin);
        await new Promise((r) => setTimeout(r, 500)); // the new one connects
        restartWindows.push([from, performance.now()]);
        restarts++;
        restarting = false;
      }, o.restartEveryS * 1000)
      : undefined;
    const inRestart = (t: number) =>
      restarting ||
      restartWindows.some(([a, b]) => t >= a - TIMEOUT_MS && t <= b);
    const user = async () => {
      while (performance.now() < end) {
        const k = pick();
        stats.scenarios[k]++;
        const started = performance.now();
        try {
          await scenario(k, s.port, stats);
        } catch (e) {
          const what = e instanceof ClientError ? e.kind : "exception";
          // a request pushed to a handler in the middle of its restart goes unanswered, and
          // a session whose handler left is closed: expected, counted apart
          if ((what === "timeout" || what === "closed") && inRestart(started)) {
            stats.lostAtRestart++;
            continue;
          }
          stats.errors.set(
            `${k}: ${what}`,
            (stats.errors.get(`${k}: ${what}`) ?? 0) + 1,
          );
          if (stats.examples.length < 5) stats.examples.push(`${k}: ${e}`);
        }
      }
    };
    await Promise.all(Array.from({ length: o.users }, user));
    clearInterval(restarter);
    while (restarting) await new Promise((r) => setTimeout(r, 100));
    // every client socket is closed: the server must come back to its idle socket count
    const t1 = performance.now();
    let stuck = openSockets(s.server.pid) - baseSockets;
    while (stuck > 0 && performance.now() - t1 < 75_000) {
      await new Promise((r) => setTimeout(r, 500));
      stuck = openSockets(s.server.pid) - baseSockets;
    }
    const drainS = (performance.now() - t1) / 1000;
    clearInterval(sampler);
    const stop = await stopServer(s);
    return {
      kind,
      stats,
      rss,
      baseSockets,
      drainS,
      stuck: Math.max(0, stuck),
      restarts,
      serverLog: stop.serverLog,
      handlerLog: stop.handler,
    };
  } catch (e) {
    await stopServer(s);
    throw e;
  }
}

const mib = (k: number) => (k / 1024).toFixed(1);

function markdown(results: Result[], o: Options, machine: string): string {
  const out: string[] = [];
  out.push(`## Soak (\`deno task bench:soak\`)`);
  out.push("");
  out.push(machine);
  out.push(
    `- Command: \`deno task bench:soak --kinds ${
      o.kinds.join(",")
    } --seconds ${o.seconds} --users ${o.users}\` ` +
      `(--workers ${o.workers}, handler bench/_conns_handler.ts restarted every ${o.restartEveryS} s; ` +
      `scenarios: ${SCENARIOS.map(([s, w]) => `${s} ${w} %`).join(", ")})`,
  );
  out.push("");
  out.push(
    "| server | scenarios run | requests/messages | p50 | p99 | errors | lost at handler restart | handler restarts | RSS at 10 s | RSS at 30 s | RSS at end | max | growth 2nd half | sockets left after load | drained in |",
  );
  out.push("|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const r of results) {
    const st = r.stats;
    const total = Object.values(st.scenarios).reduce((a, b) => a + b, 0);
    const errors = [...st.errors.values()].reduce((a, b) => a + b, 0);
    const at = (sec: number) => r.rss[Math.min(r.rss.length - 1, sec - 1)] ?? 0;
    const half = Math.floor(r.rss.length / 2);
    const firstHalf = r.rss.slice(half, half + 5);
    const lastFive = r.rss.slice(-5);
    const avg = (xs: number[]) =>
      xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const growth = avg(lastFive) - avg(firstHalf);
    out.push(
      `| ${serverName(r.kind)} | ${total} | ${st.requests} | ${
        percentile(st.latencies, 50).toFixed(1)
      } ms | ${
        percentile(st.latencies, 99).toFixed(1)
      } ms | ${errors} | ${st.lostAtRestart} | ${r.restarts} | ${
        mib(at(10))
      } MiB | ${mib(at(30))} MiB | ${mib(r.rss.at(-1) ?? 0)} MiB | ${
        mib(Math.max(...r.rss))
      } MiB | ${growth >= 0 ? "+" : ""}${mib(growth)} MiB | ${r.stuck} | ${
        r.drainS.toFixed(1)
      } s |`,
    );
  }
  out.push("");
  for (const r of results) {
    out.push(
      `- ${serverName(r.kind)} scenarios: ${
        Object.entries(r.stats.scenarios).map(([k, v]) => `${k} ${v}`).join(
          ", ",
        )
      }; errors: ${
        r.stats.errors.size === 0
          ? "none"
          : [...r.stats.errors].map(([k, v]) => `${k} ×${v}`).join(", ")
      }${
        r.stats.examples.length > 0 ? ` (e.g. ${r.stats.examples[0]})` : ""
      }; handler: ${r.handlerLog || "–"}`,
    );
    out.push(
      `- ${serverName(r.kind)} RSS every second (MiB): ${
        r.rss.map((k) => mib(k)).join(" ")
      }`,
    );
    const log = r.serverLog.trim();
    if (log !== "") {
      out.push(
        `- ${serverName(r.kind)} server log tail: \`${
          log.split("\n").slice(-3).join(" / ").slice(0, 400)
        }\``,
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
  const results: Result[] = [];
  try {
    for (const kind of o.kinds) {
      console.log(`soaking ${serverName(kind)} for ${o.seconds} s …`);
      const r = await soak(kind, o, handlerBin);
      results.push(r);
      console.log(markdown([r], o, "").split("\n").slice(4, 7).join("\n"));
    }
  } finally {
    await stopAll();
    await removeHandlerBuild(handlerBin);
  }
  const md = markdown(results, o, machineMarkdown(info));
  await publishScaleReport(md, o.save);
  return results.some((r) => r.stats.errors.size > 0 || r.stuck > 0) ? 1 : 0;
}

if (import.meta.main) {
  Deno.addSignalListener("SIGINT", () => {
    void stopAll().then(() => Deno.exit(130));
  });
  Deno.exit(await main());
}
