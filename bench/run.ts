/**
 * HTTP benchmark: Condure 1.9.1 vs ours (main.ts), same flags, same native
 * handler (bench/handler.c), wrk GET load. Run with `deno task bench [flags]`
 * (`--help` lists them). Prints a markdown summary and saves it to
 * bench/results/<date>.md.
 *
 * Order of runs: for each workers value both servers run side by side (idle
 * one costs nothing); then per round, per conns value, condure then ours,
 * so servers and connection counts alternate A B A B.
 *
 * @module
 */

import { buildHandler, selfTest } from "./_handler.ts";
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
} from "./_report.ts";
import {
  type RunningServer,
  serverFlags,
  type ServerKind,
  startServer,
  stopServer,
} from "./_server.ts";
import { errorCount, runWrk } from "./_wrk.ts";

function resultsPath(): string {
  const dir = new URL("./results/", import.meta.url).pathname;
  Deno.mkdirSync(dir, { recursive: true });
  const day = new Date().toISOString().slice(0, 10);
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
  const maxConns = Math.max(...opts.conns);
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
    mode: opts.mode,
    maxconn: opts.maxconn,
  });

  const runs: RunRecord[] = [];
  const rss: RssRecord[] = [];
  const failures: string[] = [];
  const warmupRequests = new Map<RunningServer, number>();
  /** Measures; repeats (up to --retries) while other load exceeds --max-other. */
  const measureBest = async (
    s: RunningServer,
    conns: number,
    round: number,
  ): Promise<RunRecord> => {
    const attempts: RunRecord[] = [];
    for (let attempt = 0; attempt <= opts.retries; attempt++) {
      const { record, busyBeforePct } = await measureRun(s, {
        conns,
        round,
        seconds: opts.durationS,
        threads: opts.threads,
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
      console.log(
        `${label(s)} c${conns} round ${round}${
          attempt ? ` retry ${attempt}` : ""
        }: ` +
          `${Math.round(w.rps)} req/s, p99 ${w.p99Ms.toFixed(2)} ms, ` +
          `server ${usPerReq} µs/req, handler ${pct(record.handlerCpuS)}, ` +
          `wrk ${pct(w.cpuSeconds)}, other ${pct(record.otherCpuS)}${before}`,
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
          mode: opts.mode,
          maxconn: opts.maxconn,
          handlerBin,
          paths: { condure: opts.condure, main: opts.main },
          startTimeoutMs: kind === "condure" ? 10_000 : 60_000,
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
      }
      if (opts.warmupS > 0) {
        for (const s of servers) {
          const w = await runWrk(s.url, {
            conns: maxConns,
            seconds: opts.warmupS,
            threads: opts.threads,
            clkTck,
          });
          warmupRequests.set(s, w.requests);
          console.log(`${label(s)}: warm-up ${Math.round(w.rps)} req/s`);
          if (errorCount(w) > 0) {
            failures.push(`${label(s)} warm-up had ${errorCount(w)} errors`);
          }
        }
      }
      for (let round = 1; round <= opts.rounds; round++) {
        for (const conns of opts.conns) {
          for (const s of servers) {
            const record = await measureBest(s, conns, round);
            runs.push(record);
            const other = cpuPct(record, record.otherCpuS);
            if (other > opts.maxOtherPct) {
              note(
                `${label(s)} c${conns} round ${round}: other processes used ` +
                  `${other.toFixed(0)} % CPU during the run (best of ` +
                  `${opts.retries + 1} attempts)`,
              );
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
          /handler: (\d+) requests/.exec(report.handler)?.[1] ?? NaN,
        );
        const counted = (warmupRequests.get(s) ?? 0) + runs
          .filter((r) => r.server === s.kind && r.workers === workers)
          .reduce((sum, r) => sum + r.wrk.requests, 0);
        if (!(handled >= counted)) {
          failures.push(
            `${label(s)}: the handler answered ${handled} requests but wrk ` +
              `counted ${counted} responses`,
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
      }\` (wrk -t${opts.threads}, ` +
      `${opts.durationS} s per run, ${opts.rounds} rounds, ${opts.warmupS} s warm-up, ` +
      `GET /, no Lua)`,
      `Server flags: \`${exampleFlags.join(" ")}\``,
      `Handler: bench/handler.c; self-test: ${selftest.replaceAll("\n", "; ")}`,
      `CPU columns: % of one core during the run; server = its process (all threads) and ` +
      `descendants; other = every other busy CPU tick on the machine (incl. steal). ` +
      `The ${info.nproc} cores are shared by wrk, server and handler.`,
    ],
    runs,
    rss,
    errors,
    notes,
  });
  console.log(`\n${md}`);
  if (opts.out !== null) {
    const path = opts.out || resultsPath();
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
