/**
 * The native benchmark handler (bench/handler.c): build and start it.
 *
 * @module
 */

import { Proc } from "./_proc.ts";

/** Handler modes matching the server's listener mode. */
export type HandlerMode = "stream" | "req";

function cacheDir(): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ??
    (Deno.env.get("HOME") ? `${Deno.env.get("HOME")}/.cache` : "/tmp");
  return `${base}/condure-deno-bench`;
}

/**
 * Compiles a C file of bench/ (once per source version) with `gcc -O2` into a
 * cache directory and returns the binary's path. Throws if gcc fails.
 *
 * @example
 * ```ts ignore
 * const bin = await buildC("ws_client.c", []);
 * ```
 */
export async function buildC(file: string, libs: string[]): Promise<string> {
  const source = new URL(`./${file}`, import.meta.url);
  const text = await Deno.readFile(source);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", text));
  const hash = [...digest.slice(0, 8)].map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
  const dir = cacheDir();
  const bin = `${dir}/${file.replace(/\.c$/, "")}-${hash}`;
  try {
    await Deno.stat(bin);
    return bin;
  } catch { /* not built yet */ }
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${bin}.tmp${Deno.pid}`;
  const out = await new Deno.Command("gcc", {
    args: ["-O2", "-o", tmp, source.pathname, ...libs],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `gcc ${file} failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  await Deno.rename(tmp, bin);
  return bin;
}

/**
 * Compiles bench/handler.c (once per source version) into a cache directory
 * and returns the binary's path. Throws if gcc fails.
 *
 * @example
 * ```ts ignore
 * const bin = await buildHandler();
 * ```
 */
export function buildHandler(): Promise<string> {
  return buildC("handler.c", ["-lzmq"]);
}

/** Options of {@linkcode startHandler}. */
export interface StartHandlerOptions {
  /** `stream`: base spec (`ipc://…/client`); `req`: the req spec. */
  spec: string;
  /** Log file for the handler's stderr (its request count at exit). */
  logFile: string;
}

/**
 * Starts the handler binary in the given mode.
 *
 * @example
 * ```ts ignore
 * const h = startHandler(await buildHandler(), "stream", { spec: "ipc:///tmp/x/client", logFile: "/tmp/x/h.log" });
 * await h.stop();
 * ```
 */
export function startHandler(
  bin: string,
  mode: HandlerMode,
  options: StartHandlerOptions,
): Proc {
  return Proc.start(bin, [mode, options.spec], { logFile: options.logFile });
}

/**
 * Runs the handler against its built-in load generator (no server involved)
 * and returns the load generator's report line plus the handler's CPU use.
 *
 * @example
 * ```ts ignore
 * console.log(await selfTest(await buildHandler(), { requests: 1_000_000, clkTck: 100 }));
 * ```
 */
export async function selfTest(
  bin: string,
  options: { requests: number; clkTck: number },
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cdbench-" });
  const base = `ipc://${dir}/client`;
  const handler = startHandler(bin, "stream", {
    spec: base,
    logFile: `${dir}/handler.log`,
  });
  try {
    const before = handler.cpuTicks();
    const t0 = performance.now();
    const out = await new Deno.Command(bin, {
      args: ["loadgen", base, String(options.requests)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const wall = (performance.now() - t0) / 1000;
    const cpu = (handler.cpuTicks() - before) / options.clkTck;
    const text = new TextDecoder().decode(out.stdout).trim() +
      new TextDecoder().decode(out.stderr).trim();
    if (!out.success) throw new Error(`handler self-test failed: ${text}`);
    const perReq = cpu * 1e6 / options.requests;
    return `${text}\nhandler: ${cpu.toFixed(2)} CPU s over ${
      wall.toFixed(2)
    } s wall, ` +
      `${perReq.toFixed(2)} µs/request (≈ ${
        Math.round(1e6 / perReq)
      } req/s per core)`;
  } finally {
    await handler.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
