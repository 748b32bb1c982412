/**
 * Child processes for the benchmark: start with output to a log file, read
 * CPU time and peak RSS from /proc, stop reliably.
 *
 * @module
 */

/** Every process started by {@linkcode Proc.start} that has not been stopped yet. */
const live = new Set<Proc>();
/** Other clean-ups for {@linkcode stopAll} (kill a wrk run, remove a temp dir). */
const cleanups = new Set<() => Promise<void> | void>();

/**
 * Registers a clean-up that {@linkcode stopAll} runs (e.g. on Ctrl-C);
 * returns a function that unregisters it.
 *
 * @example
 * ```ts ignore
 * const done = atStopAll(() => Deno.removeSync("/tmp/x", { recursive: true }));
 * done();
 * ```
 */
export function atStopAll(fn: () => Promise<void> | void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/**
 * Sends SIGKILL to `pid` and its descendants, deepest first.
 *
 * @example
 * ```ts ignore
 * killTree(child.pid);
 * ```
 */
export function killTree(pid: number): void {
  for (const p of processTree(pid).reverse()) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch { /* gone */ }
  }
}

/**
 * Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`).
 *
 * @example
 * ```ts ignore
 * const hz = await clockTicks(); // 100 on Linux
 * ```
 */
export async function clockTicks(): Promise<number> {
  const n = Number(await capture("getconf", ["CLK_TCK"]));
  return Number.isFinite(n) && n > 0 ? n : 100;
}

/** Options of {@linkcode Proc.start}. */
export interface ProcOptions {
  /** File that receives the process' stdout and stderr. */
  logFile: string;
  /** Working directory. */
  cwd?: string;
}

/**
 * A started process. It runs under `sh -c 'ulimit -n <hard>; exec …'`, so the
 * pid is the program's own and its open-files limit is the hard limit.
 *
 * @example
 * ```ts ignore
 * const p = Proc.start("sleep", ["10"], { logFile: "/tmp/sleep.log" });
 * await p.stop();
 * ```
 */
export class Proc {
  #child: Deno.ChildProcess;
  #status: Promise<Deno.CommandStatus>;
  #exited: Deno.CommandStatus | null = null;
  /** Name used in messages. */
  readonly name: string;
  /** File with the process' output. */
  readonly logFile: string;

  private constructor(name: string, child: Deno.ChildProcess, logFile: string) {
    this.name = name;
    this.logFile = logFile;
    this.#child = child;
    this.#status = child.status.then((s) => (this.#exited = s));
  }

  /** Starts `cmd args…` with stdout+stderr appended to `options.logFile`. */
  static start(cmd: string, args: string[], options: ProcOptions): Proc {
    const script =
      'ulimit -n "$(ulimit -Hn)"; log="$1"; shift; exec "$@" >>"$log" 2>&1';
    const child = new Deno.Command("sh", {
      args: ["-c", script, "sh", options.logFile, cmd, ...args],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    }).spawn();
    const proc = new Proc(cmd.split("/").pop() ?? cmd, child, options.logFile);
    live.add(proc);
    return proc;
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** The exit status once the process has exited, else `null`. */
  get exited(): Deno.CommandStatus | null {
    return this.#exited;
  }

  /** utime+stime (+ reaped children) in ticks of this process and its live descendants. */
  cpuTicks(): number {
    return treeCpuTicks(this.pid);
  }

  /** Peak resident set size (VmHWM) in KiB, summed over the process and its live descendants. */
  peakRssKiB(): number {
    return processTree(this.pid).reduce(
      (sum, p) => sum + statusField(p, "VmHWM"),
      0,
    );
  }

  /** Current resident set size (VmRSS) in KiB, summed over the process and its live descendants. */
  rssKiB(): number {
    return processTree(this.pid).reduce(
      (sum, p) => sum + statusField(p, "VmRSS"),
      0,
    );
  }

  /** Current soft limit of open files of the process, or 0 if unknown. */
  openFilesLimit(): number {
    try {
      const text = Deno.readTextFileSync(`/proc/${this.pid}/limits`);
      const m = /^Max open files\s+(\d+)/m.exec(text);
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** The last `lines` lines of the log file. */
  logTail(lines = 20): string {
    try {
      return Deno.readTextFileSync(this.logFile).trimEnd().split("\n").slice(
        -lines,
      ).join("\n");
    } catch {
      return "";
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. */
  async stop(graceMs = 3000): Promise<Deno.CommandStatus> {
    live.delete(this);
    if (this.#exited === null) {
      try {
        this.#child.kill("SIGTERM");
      } catch { /* already gone */ }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), graceMs);
      });
      const done = await Promise.race([this.#status, timeout]);
      clearTimeout(timer);
      if (done === null) {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    }
    return await this.#status;
  }
}

/**
 * Stops every process that is still running and runs the registered
 * clean-ups (used in `finally` and on SIGINT).
 *
 * @example
 * ```ts ignore
 * await stopAll();
 * ```
 */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      await fn();
    } catch { /* best effort */ }
  }
}

/**
 * The end of a `sh -c` script that runs a load tool: prints the shell's
 * `/proc/$$/stat` line last on stderr and keeps the tool's exit status, so that
 * {@linkcode waitedChildCpuSeconds} can read the CPU the tool used.
 */
export const PRINT_CHILD_CPU = "s=$?; cat /proc/$$/stat >&2; exit $s";

/**
 * CPU seconds of the children a shell waited for (cutime + cstime), from the
 * stat line that {@linkcode PRINT_CHILD_CPU} leaves last on `stderr`; NaN when
 * it is missing.
 *
 * @example
 * ```ts
 * import { waitedChildCpuSeconds } from "./_proc.ts";
 * const line = "42 (sh) S 1 42 42 0 -1 0 0 0 0 0 0 0 150 50 20 0 1 0 0 0 0";
 * if (waitedChildCpuSeconds(`noise\n${line}\n`, 100) !== 2) throw new Error();
 * ```
 */
export function waitedChildCpuSeconds(stderr: string, clkTck: number): number {
  const stat = stderr.trim().split("\n").pop() ?? "";
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[13]) + Number(f[14]);
  return Number.isFinite(ticks) ? ticks / clkTck : NaN;
}

/** Fields of /proc/<pid>/stat after the command name (field 3 = index 0). */
function statFields(pid: number | string): string[] | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** utime+stime+cutime+cstime of one process, in ticks. */
function ownCpuTicks(f: string[]): number {
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

/**
 * `pid` followed by all its live descendants.
 *
 * @example
 * ```ts ignore
 * const pids = processTree(Deno.pid);
 * ```
 */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const f = statFields(e.name);
    if (f === null) continue;
    const ppid = Number(f[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(e.name));
    else children.set(ppid, [Number(e.name)]);
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    out.push(...(children.get(out[i]!) ?? []));
  }
  return out;
}

/**
 * CPU ticks of `pid` and all its live descendants (threads are included in a
 * process' own times; reaped children in cutime/cstime).
 *
 * @example
 * ```ts ignore
 * const ticks = treeCpuTicks(Deno.pid);
 * ```
 */
export function treeCpuTicks(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    const f = statFields(p);
    if (f !== null) total += ownCpuTicks(f);
  }
  return total;
}

function statusField(pid: number, name: string): number {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * A free TCP port on 127.0.0.1 (bound then released).
 *
 * @example
 * ```ts ignore
 * const port = freePort();
 * ```
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Runs a command to completion and returns its trimmed stdout ("" on failure).
 *
 * @example
 * ```ts ignore
 * const cores = await capture("nproc", []);
 * ```
 */
export async function capture(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    return text || new TextDecoder().decode(out.stderr).trim();
  } catch {
    return "";
  }
}

/**
 * Busy CPU ticks of the whole machine since boot (all cores; user, nice,
 * system, irq, softirq and steal: everything but idle and iowait).
 *
 * @example
 * ```ts ignore
 * const busy = machineBusyTicks();
 * ```
 */
export function machineBusyTicks(): number {
  const line = Deno.readTextFileSync("/proc/stat").split("\n", 1)[0] ?? "";
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest is part of user)
  return (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) +
    (f[7] ?? 0);
}

/**
 * Waits until the machine is quiet (busy below `maxBusyPct` % of one core
 * over a 500 ms window) or `timeoutMs` passed; returns the last busy %.
 *
 * @example
 * ```ts ignore
 * const busyPct = await waitForIdle({ maxBusyPct: 15, timeoutMs: 30_000, clkTck: 100 });
 * ```
 */
export async function waitForIdle(
  options: { maxBusyPct: number; timeoutMs: number; clkTck: number },
): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const b0 = machineBusyTicks();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 500));
    const seconds = (performance.now() - t0) / 1000;
    const pct = (machineBusyTicks() - b0) * 100 / options.clkTck / seconds;
    if (pct <= options.maxBusyPct || Date.now() >= deadline) return pct;
  }
}

/**
 * The machine's count of accepted TCP connections since boot (`PassiveOpens`
 * of /proc/net/snmp), or NaN if unknown. Its growth over a run counts the
 * connections a load generator opened (plus anything else on the machine).
 *
 * @example
 * ```ts ignore
 * const before = tcpPassiveOpens();
 * ```
 */
export function tcpPassiveOpens(): number {
  try {
    const lines = Deno.readTextFileSync("/proc/net/snmp").split("\n")
      .filter((l) => l.startsWith("Tcp:"));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const i = names.indexOf("PassiveOpens");
    return i < 0 ? NaN : Number(values[i]);
  } catch {
    return NaN;
  }
}
