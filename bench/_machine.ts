/**
 * A description of the machine and software versions for the results file.
 *
 * @module
 */

import { capture } from "./_proc.ts";

/** Machine and software facts. */
export interface MachineInfo {
  /** `date -u` output. */
  date: string;
  /** `nproc`. */
  nproc: string;
  /** First "model name" in /proc/cpuinfo. */
  cpu: string;
  /** MemTotal in GiB. */
  memory: string;
  /** `uname -sr`. */
  kernel: string;
  /** Hard limit of open files (`ulimit -Hn`). */
  openFilesHard: number;
  /** Tool versions. */
  versions: Record<string, string>;
}

/**
 * Collects {@linkcode MachineInfo}.
 *
 * @example
 * ```ts ignore
 * const info = await machineInfo("/usr/bin/condure");
 * ```
 */
export async function machineInfo(condure: string): Promise<MachineInfo> {
  let cpu = "unknown";
  let memory = "unknown";
  try {
    cpu =
      /^model name\s*:\s*(.*)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))
        ?.[1] ?? cpu;
    const kb = /^MemTotal:\s+(\d+) kB/m.exec(
      Deno.readTextFileSync("/proc/meminfo"),
    )?.[1];
    if (kb) memory = `${(Number(kb) / 1024 / 1024).toFixed(1)} GiB`;
  } catch { /* not Linux */ }
  const git = await capture("git", [
    "-C",
    new URL("..", import.meta.url).pathname,
    "rev-parse",
    "--short",
    "HEAD",
  ]);
  const dirty = (await capture("git", [
    "-C",
    new URL("..", import.meta.url).pathname,
    "status",
    "--porcelain",
    "--",
    "main.ts",
    "src",
  ])).split("\n").filter((l) => l.trim() !== "").length;
  return {
    date: await capture("date", ["-u"]),
    nproc: await capture("nproc", []),
    cpu,
    memory,
    kernel: await capture("uname", ["-sr"]),
    openFilesHard: Number(await capture("sh", ["-c", "ulimit -Hn"])) || 0,
    versions: {
      condure: (await capture(condure, ["--version"])).replace(/^condure /, ""),
      deno: Deno.version.deno,
      wrk: (await capture("wrk", ["--version"])).split("\n")[0]?.split(" [")[0]
        ?.replace(/^wrk /, "") ??
        "",
      libzmq: await capture("pkg-config", ["--modversion", "libzmq"]),
      "project commit": dirty > 0
        ? `${git} + uncommitted changes to ${dirty} files of main.ts/src/ (work in progress of others)`
        : git,
    },
  };
}

/**
 * The machine section of the markdown report.
 *
 * @example
 * ```ts ignore
 * console.log(machineMarkdown(await machineInfo("/usr/bin/condure")));
 * ```
 */
export function machineMarkdown(m: MachineInfo): string {
  return [
    `- Date: ${m.date}`,
    `- Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}, ${m.memory} RAM, ${m.kernel}, ` +
    `open files hard limit ${m.openFilesHard}`,
    `- Versions: ${
      Object.entries(m.versions).map(([k, v]) => `${k} ${v || "?"}`).join(", ")
    }`,
  ].join("\n");
}
