/**
 * A fleet of bench/_conns_client.ts processes holding idle connections, at most
 * {@linkcode PER_PROCESS} each and one source address (127.0.0.2, 127.0.0.3, …) per process, so
 * that neither the 20000 open-files cap nor the ~28k ephemeral ports of one source address bind.
 *
 * @module
 */

import type {
  ClientConfig,
  CountReport,
  ProbeReport,
  ReadyReport,
} from "./_conns_client.ts";
import { atStopAll } from "./_proc.ts";

/** Connections per client process. */
export const PER_PROCESS = 5000;

const CLIENT = new URL("./_conns_client.ts", import.meta.url).pathname;

class LineReader {
  #reader: ReadableStreamDefaultReader<string>;
  #pending = "";
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }
  async next(): Promise<string | null> {
    for (;;) {
      const nl = this.#pending.indexOf("\n");
      if (nl >= 0) {
        const line = this.#pending.slice(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#pending += value;
    }
  }
}

interface Member {
  child: Deno.ChildProcess;
  lines: LineReader;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  count: number;
}

/** Summary of {@linkcode ClientFleet.open}. */
export interface FleetReady {
  open: number;
  failed: number;
  /** Wall time until every process was ready. */
  ms: number;
}

/**
 * Client processes holding `count` idle connections in total.
 *
 * @example
 * ```ts ignore
 * const fleet = new ClientFleet({ port, count: 10000, kind: "http", refreshMs: 40000 });
 * console.log(await fleet.open());
 * console.log(await fleet.probe(200));
 * await fleet.close();
 * ```
 */
export class ClientFleet {
  readonly #members: Member[] = [];
  readonly #unregister: () => void;

  /** Starts the processes; they begin connecting at once. */
  constructor(
    options: Omit<ClientConfig, "sources"> & { firstSource?: number },
  ) {
    const procs = Math.max(1, Math.ceil(options.count / PER_PROCESS));
    const first = options.firstSource ?? 2;
    for (let i = 0; i < procs; i++) {
      const count = Math.floor(options.count / procs) +
        (i < options.count % procs ? 1 : 0);
      const cfg: ClientConfig = {
        port: options.port,
        count,
        kind: options.kind,
        refreshMs: options.refreshMs,
        ...(options.dripMs === undefined ? {} : { dripMs: options.dripMs }),
        sources: [`127.0.0.${first + i}`],
      };
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", CLIENT, JSON.stringify(cfg)],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      this.#members.push({
        child,
        lines: new LineReader(child.stdout),
        stdin: child.stdin.getWriter(),
        count,
      });
    }
    this.#unregister = atStopAll(() => this.kill());
  }

  /** Waits until every process has opened its connections. */
  async open(): Promise<FleetReady> {
    const t0 = performance.now();
    const reports = await Promise.all(
      this.#members.map(async (m) => {
        const line = await m.lines.next();
        if (line === null) throw new Error("a client process exited early");
        return JSON.parse(line) as ReadyReport;
      }),
    );
    return {
      open: reports.reduce((s, r) => s + r.open, 0),
      failed: reports.reduce((s, r) => s + r.failed, 0),
      ms: Math.round(performance.now() - t0),
    };
  }

  async #ask<T>(m: Member, command: string): Promise<T> {
    await m.stdin.write(new TextEncoder().encode(command + "\n"));
    const line = await m.lines.next();
    if (line === null) throw new Error("a client process exited early");
    return JSON.parse(line) as T;
  }

  /** One request on `k` random idle connections (spread over the processes); latencies in ms. */
  async probe(k: number): Promise<{ latenciesMs: number[]; errors: number }> {
    const share = Math.ceil(k / this.#members.length);
    const reports = await Promise.all(
      this.#members.map((m) => this.#ask<ProbeReport>(m, `probe ${share}`)),
    );
    return {
      latenciesMs: reports.flatMap((r) => r.latenciesMs),
      errors: reports.reduce((s, r) => s + r.errors, 0),
    };
  }

  /** Connections still open, and how many the server closed. */
  async count(): Promise<
    { open: number; closedByServer: number; refreshes: number }
  > {
    const reports = await Promise.all(
      this.#members.map((m) => this.#ask<CountReport>(m, "count")),
    );
    return {
      open: reports.reduce((s, r) => s + r.open, 0),
      closedByServer: reports.reduce((s, r) => s + r.closedByServer, 0),
      refreshes: reports.reduce((s, r) => s + r.refreshes, 0),
    };
  }

  /** Closes every connection and waits for the processes to exit. */
  async close(): Promise<void> {
    this.#unregister();
    await Promise.all(this.#members.map(async (m) => {
      try {
        await m.stdin.write(new TextEncoder().encode("exit\n"));
        await m.stdin.close();
      } catch { /* already gone */ }
      const timer = setTimeout(() => this.#killOne(m), 10_000);
      await m.child.status;
      clearTimeout(timer);
    }));
  }

  #killOne(m: Member): void {
    try {
      m.child.kill("SIGKILL");
    } catch { /* gone */ }
  }

  /** Kills the processes at once. */
  kill(): void {
    for (const m of this.#members) this.#killOne(m);
  }
}

/**
 * Percentile `p` (0–100) of `xs` (NaN when empty).
 *
 * @example
 * ```ts ignore
 * percentile([1, 2, 3], 50); // 2
 * ```
 */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
