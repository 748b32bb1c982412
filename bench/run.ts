/**
 * Benchmark: Condure 1.9.1 vs ours (main.ts), same flags, same native
 * handler (bench/handler.c). Modes: wrk GET over a stream or req listener,
 * WebSocket echo with bench/ws_client.c plus memory per idle WebSocket
 * connection (`--mode ws`), HTTPS GET with keep-alive and with a TLS
 * handshake per request (`--mode tls`). Run with `deno task bench [flags]`
 * (`--help` lists them). Prints a markdown summary and saves it to
 * bench/results/<date>.md.
 *
 * Order of runs: for each workers value both servers run side by side (idle
 * one costs nothing); then per round, per conns value, per load, condure
 * then ours, so servers and connection counts alternate A B A B.
 *
 * @module
 */

import { buildHandler, type HandlerMode, selfTest } from "./_handler.ts";
import { type Load, loadDescription, loadsFor, unitsFor } from "./_loads.ts";
import { exists, parseOptions } from "./_options.ts";
import { machineInfo, machineMarkdown } from "./_machine.ts";
import { cpuPct, measureRun } from "./_measure.ts";
import { clockTicks, stopAll } from "./_proc.ts";
import {
  describeErrors,
  resultsMarkdown,
  type RssRecord,
  type RunRecord,
  serverName,
  wsIdleKiB,
  type WsIdleRecord,
} from "./_report.ts";
import {
  type RunningServer,
  serverFlags,
  type ServerKind,
  startServer,
  stopServer,
} from "./_server.ts";
import { makeTlsIdentities, type TlsIdentities, tlsSession } from "./_tls.ts";
import { errorCount } from "./_wrk.ts";
import { buildWsClient, measureWsIdle } from "./ws_load.ts";

/** bench/results/[<mode>-]<date>.md (ws and tls prefixed), suffixed -2, -3… if taken. */
function resultsPath(mode: string): string {
  const dir = new URL("./results/", import.meta.url).pathname;
  Deno.mkdirSync(dir, { recursive: true });
  const prefix = mode === "ws" || mode === "tls" ? `${mode}-` : "";
  const day = `${prefix}${new Date().toISOString().slice(0, 10)}`;
  let path = `${dir}${day}.md`;
  for (let i = 2; exists(path); i++) path = `${dir}${day}-${i}.md`;
  return path;
}

function label(s: { kind: ServerKind; workers: number }): string {
  return `${serverName(s.kind)} w${s.workers}`;
}

async function main(): Promise<number> {
  const opts = parseOptions(Deno.args);
  const clkTck = await clockTicks();
  const notes: string[] = [];
  const note = (text: string) => {
    notes.push(text);
    console.log(`note: ${text}`);
  };

  console.log("building bench/handler.c …");
  const handlerBin = await buildHandler();
  const selftest = await selfTest(handlerBin, {
    requests: opts.selftestOnly ? 2_000_000 : 300_000,
    clkTck,
  });
  console.log(selftest);
  if (opts.selftestOnly) return 0;
  const wsClient = opts.mode === "ws" ? await buildWsClient() : undefined;
  const handlerMode: HandlerMode = opts.mode === "req" ? "req" : "stream";
  const units = unitsFor(opts.mode);
  const loads = loadsFor(opts.mode, {
    threads: opts.threads,
    clkTck,
    wsSize: opts.wsSize,
    ...(wsClient === undefined ? {} : { wsClient }),
  });

  if (!exists(opts.condure) && opts.kinds.includes("condure")) {
    throw new Error(`Condure binary not found: ${opts.condure}`);
  }
  if (!exists(opts.main)) {
    if (!opts.kinds.includes("condure")) {
      throw new Error(`${opts.main} not found`);
    }
    if (opts.kinds.includes("deno")) {
      note(`${opts.main} does not exist yet: running condure only`);
      opts.kinds = ["condure"];
    }
  }
  const info = await machineInfo(opts.condure);
  const maxConns = Math.max(
    ...opts.conns,
    opts.mode === "ws" ? opts.idleConns : 0,
  );
  if (info.openFilesHard > 0 && maxConns + 64 > info.openFilesHard) {
    throw new RangeError(
      `--conns ${maxConns} needs more open files than the hard limit ${info.openFilesHard}`,
    );
  }
  if (info.openFilesHard > 0 && opts.maxconn + 64 > info.openFilesHard) {
    note(
      `--stream-maxconn ${opts.maxconn} is above what ${info.openFilesHard} open files allow; ` +
        `fine for ${maxConns} connections, not for a connection-scale run`,
    );
  }
  const exampleFlags = serverFlags(8000, {
    dir: "<tmpdir>",
    workers: opts.workers[0]!,
    mode: handlerMode,
    maxconn: opts.maxconn,
    ...(opts.mode === "tls" ? { tlsDir: "<certdir>" } : {}),
  });
  let tls: TlsIdentities | undefined;
  if (opts.mode === "tls") tls = await makeTlsIdentities();

  const runs: RunRecord[] = [];
  const rss: RssRecord[] = [];
  const wsIdle: WsIdleRecord[] = [];
  const failures: string[] = [];
  const warmupRequests = new Map<RunningServer, number>();
  /** Measures; repeats (up to --retries) while other load exceeds --max-other. */
  const measureBest = async (
    s: RunningServer,
    conns: number,
    round: number,
    load: Load,
  ): Promise<RunRecord> => {
    const attempts: RunRecord[] = [];
    for (let attempt = 0; attempt <= opts.retries; attempt++) {
      const { record, busyBeforePct } = await measureRun(s, {
        conns,
        round,
        run: () => load.run(s, conns, opts.durationS),
        ...(load.name === undefined ? {} : { load: load.name }),
        ...(load.countAccepts ? { countAccepts: true } : {}),
        clkTck,
        idleWaitS: opts.idleWaitS,
        idleMaxPct: opts.idleMaxPct,
      });
      const w = record.wrk;
      const pct = (cpuS: number) => `${cpuPct(record, cpuS).toFixed(0)} %`;
      const usPerReq = (record.serverCpuS * 1e6 / w.requests).toFixed(1);
      const before = Number.isNaN(busyBeforePct)
        ? ""
        : `, busy before ${busyBeforePct.toFixed(0)} %`;
      const accepts = record.tcpAccepts === undefined
        ? ""
        : `, ${(record.tcpAccepts / w.requests).toFixed(2)} TCP accepts/req`;
      const u = units.unit;
      console.log(
        `${label(s)}${
          load.name ? ` ${load.name}` : ""
        } c${conns} round ${round}${attempt ? ` retry ${attempt}` : ""}: ` +
          `${Math.round(w.rps)} ${u}/s, p99 ${
            Number.isFinite(w.p99Ms) ? `${w.p99Ms.toFixed(2)} ms` : "–"
          }, ` +
          `server ${usPerReq} µs/${u}, handler ${pct(record.handlerCpuS)}, ` +
          `${units.client} ${pct(w.cpuSeconds)}, other ${
            pct(record.otherCpuS)
          }${accepts}${before}`,
      );
      const errs = describeErrors(record);
      if (errs) console.log(`  ERRORS ${errs}`);
      attempts.push(record);
      if (cpuPct(record, record.otherCpuS) <= opts.maxOtherPct) break;
    }
    const best = attempts.reduce((a, b) => b.otherCpuS < a.otherCpuS ? b : a);
    for (const r of attempts) {
      if (r !== best && errorCount(r.wrk) > 0) {
        failures.push(`(discarded attempt) ${describeErrors(r)}`);
      }
    }
    return best;
  };

  for (const workers of opts.workers) {
    const servers: RunningServer[] = [];
    try {
      for (const kind of opts.kinds) {
        const s = await startServer(kind, {
          workers,
          mode: handlerMode,
          maxconn: opts.maxconn,
          handlerBin,
          paths: { condure: opts.condure, main: opts.main },
          startTimeoutMs: kind === "condure" ? 10_000 : 60_000,
          ...(tls === undefined ? {} : { tls }),
        });
        servers.push(s);
        const limit = s.server.openFilesLimit();
        if (limit > 0 && limit < maxConns + 64) {
          throw new RangeError(
            `${label(s)}: open files limit ${limit} < ${maxConns + 64}`,
          );
        }
        console.log(
          `${
            label(s)
          }: pid ${s.server.pid} on ${s.url}, open files limit ${limit}`,
        );
        if (tls !== undefined) {
          const t = await tlsSession(s.port).catch((e: Error) => e);
          note(
            t instanceof Error
              ? `${label(s)}: openssl s_client failed: ${t.message}`
              : `${
                label(s)
              } negotiates ${t.protocol} ${t.cipher} with OpenSSL's defaults (as wrk)`,
          );
        }
      }
      if (wsClient !== undefined && opts.idleConns > 0) {
        for (const s of servers) {
          const rec = await measureWsIdle(s, {
            bin: wsClient,
            conns: opts.idleConns,
            size: opts.wsSize,
          });
          wsIdle.push(rec);
          const k = wsIdleKiB(rec);
          const mib = (kib: number) => (kib / 1024).toFixed(1);
          console.log(
            `${label(s)}: ${rec.open}/${rec.conns} idle WebSockets, RSS ` +
              `${mib(rec.rssBeforeKiB)} → ${mib(rec.rssHalfKiB)} → ${
                mib(rec.rssAfterKiB)
              } MiB = ${
                k.marginal.toFixed(1)
              } KiB per connection (2nd half), ` +
              `${k.overall.toFixed(1)} over all`,
          );
          if (rec.open !== rec.conns || rec.closedByServer > 0) {
            failures.push(
              `${label(s)}: ${rec.open} of ${rec.conns} idle WebSockets ` +
                `opened and echoed, ${rec.closedByServer} closed by the server while idle`,
            );
          }
        }
      }
      if (opts.warmupS > 0) {
        for (const s of servers) {
          const w = await loads[0]!.run(
            s,
            Math.max(...opts.conns),
            opts.warmupS,
          );
          warmupRequests.set(s, w.requests);
          console.log(
            `${label(s)}: warm-up ${Math.round(w.rps)} ${units.unit}/s`,
          );
          if (errorCount(w) > 0) {
            failures.push(`${label(s)} warm-up had ${errorCount(w)} errors`);
          }
        }
      }
      for (let round = 1; round <= opts.rounds; round++) {
        for (const conns of opts.conns) {
          for (const load of loads) {
            for (const s of servers) {
              const record = await measureBest(s, conns, round, load);
              runs.push(record);
              const other = cpuPct(record, record.otherCpuS);
              if (other > opts.maxOtherPct) {
                note(
                  `${label(s)}${load.name ? ` ${load.name}` : ""} c${conns} ` +
                    `round ${round}: other processes used ` +
                    `${other.toFixed(0)} % CPU during the run (best of ` +
                    `${opts.retries + 1} attempts)`,
                );
              }
            }
          }
        }
      }
      for (const s of servers) {
        rss.push({
          server: s.kind,
          workers,
          peakRssKiB: s.server.peakRssKiB(),
        });
      }
    } finally {
      for (const s of servers.splice(0)) {
        const report = await stopServer(s);
        console.log(`${label(s)}: stopped; ${report.handler}`);
        if (report.serverLog) {
          note(`${label(s)} log:\n\`\`\`\n${report.serverLog}\n\`\`\``);
        }
        const handled = Number(
          (opts.mode === "ws" ? /(\d+) ws messages/ : /handler: (\d+) requests/)
            .exec(report.handler)?.[1] ?? NaN,
        );
        const counted = (warmupRequests.get(s) ?? 0) + runs
          .filter((r) => r.server === s.kind && r.workers === workers)
          .reduce((sum, r) => sum + r.wrk.requests, 0);
        if (!(handled >= counted)) {
          const what = opts.mode === "ws" ? "messages" : "requests";
          failures.push(
            `${label(s)}: the handler answered ${handled} ${what} but ` +
              `${units.client} counted ${counted} responses`,
          );
        }
      }
    }
  }

  const errors = [
    ...runs.map(describeErrors).filter((e) => e !== ""),
    ...failures,
  ];
  const md = resultsMarkdown({
    title: `${opts.kinds.map(serverName).join(" vs ")} (${opts.mode} mode)`,
    machine: machineMarkdown(info),
    setup: [
      `Command: \`deno task bench ${
        Deno.args.join(" ")
      }\` (${opts.rounds} rounds, ${opts.warmupS} s warm-up per server)`,
      `Load: ${loadDescription(opts.mode, opts)}`,
      ...(tls === undefined ? [] : [
        `TLS: \`localhost\` certificate (${tls.keyType}) made with openssl, served as default-cert`,
      ]),
      ...(wsClient === undefined || opts.idleConns === 0 ? [] : [
        `Idle WebSocket memory: on the fresh server (before any run), ${opts.idleConns} connections ` +
        `opened in two halves (one ${opts.wsSize}-byte echo each, then idle for 2 s); RSS = VmRSS ` +
        `of the server process tree, median of 3 readings; "2nd half" = growth per connection ` +
        `of the second half (leaves out one-time costs)`,
      ]),
      `Server flags: \`${exampleFlags.join(" ")}\``,
      `Handler: bench/handler.c; self-test: ${selftest.replaceAll("\n", "; ")}`,
      `CPU columns: % of one core during the run; server = its process (all threads) and ` +
      `descendants; other = every other busy CPU tick on the machine (incl. steal). ` +
      `The ${info.nproc} cores are shared by wrk, server and handler.`,
    ],
    runs,
    rss,
    wsIdle,
    units,
    errors,
    notes,
  });
  console.log(`\n${md}`);
  if (opts.out !== null) {
    const path = opts.out || resultsPath(opts.mode);
    await Deno.writeTextFile(path, md);
    console.log(`results written to ${path}`);
  }
  if (errors.length > 0) {
    console.error(
      `FAILED: ${errors.length} error(s):\n${errors.join("\n")}`,
    );
    return 1;
  }
  return 0;
}

const onSigint = () => {
  console.error("interrupted: stopping all processes");
  stopAll().finally(() => Deno.exit(130));
};
Deno.addSignalListener("SIGINT", onSigint);
let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(
    `bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`,
  );
} finally {
  await stopAll();
  Deno.removeSignalListener("SIGINT", onSigint);
}
Deno.exit(code);
