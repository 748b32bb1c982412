/**
 * Servers for the connection-scale, soak and slowloris benchmarks: the benchmark author's
 * {@linkcode startServer} (same flags for Condure and ours) with the full-protocol handler
 * bench/_conns_handler.ts in place of the native one, plus current-RSS and open-socket
 * readings from /proc.
 *
 * @module
 */

import { Proc } from "./_proc.ts";
import {
  type RunningServer,
  type ServerKind,
  startServer,
  stopServer,
} from "./_server.ts";

const HANDLER = new URL("./_conns_handler.ts", import.meta.url).pathname;

/**
 * Writes a tiny executable that runs bench/_conns_handler.ts the way `_handler.ts` runs the
 * native handler (`<bin> stream <base>`), so {@linkcode startServer} can start it.
 *
 * @example
 * ```ts ignore
 * const bin = await handlerWrapper();
 * ```
 */
export async function handlerWrapper(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cdconns-" });
  const path = `${dir}/handler.sh`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\nexec "${Deno.execPath()}" run --allow-all "${HANDLER}" "$2" "connsbench"\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

/** Options of {@linkcode startConnsServer}. */
export interface ConnsServerOptions {
  /** `--workers`. */
  workers: number;
  /** `--stream-maxconn`. */
  maxconn: number;
  /** From {@linkcode handlerWrapper}. */
  handlerBin: string;
  /** Condure binary. */
  condure: string;
}

/**
 * Starts Condure or ours in stream mode with the benchmark handler; resolves once it answers.
 *
 * @example
 * ```ts ignore
 * const s = await startConnsServer("deno", { workers: 1, maxconn: 20000, handlerBin, condure: "/usr/bin/condure" });
 * ```
 */
export function startConnsServer(
  kind: ServerKind,
  options: ConnsServerOptions,
): Promise<RunningServer> {
  return startServer(kind, {
    workers: options.workers,
    mode: "stream",
    maxconn: options.maxconn,
    handlerBin: options.handlerBin,
    paths: {
      condure: options.condure,
      main: new URL("../main.ts", import.meta.url).pathname,
    },
    startTimeoutMs: 30_000,
  });
}

/**
 * Stops the handler and starts a new one on the same endpoints (a handler restart).
 *
 * @example
 * ```ts ignore
 * await restartHandler(server, handlerBin);
 * ```
 */
export async function restartHandler(
  s: RunningServer,
  handlerBin: string,
): Promise<void> {
  await s.handler.stop(5000);
  s.handler = Proc.start(handlerBin, ["stream", `ipc://${s.dir}/client`], {
    logFile: `${s.dir}/handler.log`,
  });
}

export { stopServer };

/**
 * Current resident set size (VmRSS) of `pid` in KiB (0 if gone).
 *
 * @example
 * ```ts ignore
 * const kib = rssKiB(server.server.pid);
 * ```
 */
export function rssKiB(pid: number): number {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = /^VmRSS:\s+(\d+) kB/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Number of sockets `pid` holds open (listeners and ZeroMQ sockets included).
 *
 * @example
 * ```ts ignore
 * const n = openSockets(server.server.pid);
 * ```
 */
export function openSockets(pid: number): number {
  let n = 0;
  try {
    for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
      try {
        if (
          Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`).startsWith("socket:")
        ) n++;
      } catch { /* closed meanwhile */ }
    }
  } catch { /* gone */ }
  return n;
}

/**
 * Median of a few VmRSS samples taken `gapMs` apart.
 *
 * @example
 * ```ts ignore
 * const kib = await settledRss(pid, 5, 200);
 * ```
 */
export async function settledRss(
  pid: number,
  samples = 5,
  gapMs = 200,
): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < samples; i++) {
    xs.push(rssKiB(pid));
    await new Promise((r) => setTimeout(r, gapMs));
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

/** Removes the temporary build directory of the handler binary at `bin`. */
export async function removeHandlerBuild(bin: string): Promise<void> {
  await Deno.remove(bin.replace(/\/[^/]+$/, ""), { recursive: true }).catch(
    () => {},
  );
}

/**
 * Prints a scale report and, when `save` is set, appends it to
 * `bench/results/scale-<date>.md`.
 */
export async function publishScaleReport(
  md: string,
  save: boolean,
): Promise<void> {
  console.log("\n" + md);
  if (!save) return;
  const path = new URL(
    `./results/scale-${new Date().toISOString().slice(0, 10)}.md`,
    import.meta.url,
  ).pathname;
  await Deno.writeTextFile(path, md + "\n", { append: true });
  console.log(`appended to ${path}`);
}
