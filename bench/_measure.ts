/**
 * One measured load run (wrk or the ws client) against a running server: CPU
 * of server, handler, load generator and everything else on the machine over
 * the run.
 *
 * @module
 */

import { machineBusyTicks, tcpPassiveOpens, waitForIdle } from "./_proc.ts";
import type { RunRecord } from "./_report.ts";
import type { RunningServer } from "./_server.ts";
import type { WrkResult } from "./_wrk.ts";

/** Options of {@linkcode measureRun}. */
export interface MeasureOptions {
  conns: number;
  round: number;
  /** Runs the load against the server (its result carries the generator's own CPU time). */
  run: () => Promise<WrkResult>;
  /** Label of the load, when the mode has several. */
  load?: string;
  /** Also count the TCP connections the machine accepted during the run. */
  countAccepts?: boolean;
  clkTck: number;
  /** Wait up to this long for the machine to be quiet first (0: do not wait). */
  idleWaitS: number;
  /** "Quiet" = busy below this % of one core. */
  idleMaxPct: number;
}

/** A run plus how busy the machine was just before it. */
export interface Measured {
  record: RunRecord;
  /** Machine busy % (of one core) just before the run; NaN if not measured. */
  busyBeforePct: number;
}

/**
 * Share of one core, in %, that `cpuS` CPU seconds are over the run.
 *
 * @example
 * ```ts ignore
 * const pct = cpuPct(record, record.otherCpuS);
 * ```
 */
export function cpuPct(r: RunRecord, cpuS: number): number {
  return cpuS * 100 / r.wrk.wallSeconds;
}

/**
 * Runs the load once against `s` and measures CPU use around it. Throws if
 * the server has exited.
 *
 * @example
 * ```ts ignore
 * const run = () => runWrk(server.url, { conns: 50, seconds: 10, clkTck: 100 });
 * const { record } = await measureRun(server, { conns: 50, round: 1, run, clkTck: 100, idleWaitS: 0, idleMaxPct: 15 });
 * ```
 */
export async function measureRun(
  s: RunningServer,
  options: MeasureOptions,
): Promise<Measured> {
  const exited = () => {
    if (s.server.exited) {
      throw new Error(
        `${s.kind} w${s.workers} exited (code ${s.server.exited.code}):\n` +
          s.server.logTail(),
      );
    }
  };
  exited();
  let busyBeforePct = NaN;
  if (options.idleWaitS > 0) {
    busyBeforePct = await waitForIdle({
      maxBusyPct: options.idleMaxPct,
      timeoutMs: options.idleWaitS * 1000,
      clkTck: options.clkTck,
    });
  }
  const server0 = s.server.cpuTicks();
  const handler0 = s.handler.cpuTicks();
  const busy0 = machineBusyTicks();
  const accepts0 = options.countAccepts ? tcpPassiveOpens() : NaN;
  const wrk = await options.run();
  const accepts = tcpPassiveOpens() - accepts0;
  const serverCpuS = (s.server.cpuTicks() - server0) / options.clkTck;
  const handlerCpuS = (s.handler.cpuTicks() - handler0) / options.clkTck;
  const busyS = (machineBusyTicks() - busy0) / options.clkTck;
  exited();
  return {
    record: {
      server: s.kind,
      workers: s.workers,
      conns: options.conns,
      round: options.round,
      ...(options.load === undefined ? {} : { load: options.load }),
      wrk,
      ...(options.countAccepts ? { tcpAccepts: accepts } : {}),
      serverCpuS,
      handlerCpuS,
      otherCpuS: Math.max(0, busyS - serverCpuS - handlerCpuS - wrk.cpuSeconds),
    },
    busyBeforePct,
  };
}
