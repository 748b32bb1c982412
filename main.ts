/**
 * Condure for Deno: an HTTP/1.1 and WebSocket connection manager that relays client sessions
 * to ZeroMQ handlers using the ZHTTP protocol, with Condure's command line.
 *
 * ```sh
 * deno task start --listen 8000 --zclient-stream ipc://client
 * ```
 *
 * @module
 */

import { checkSupported, parseCommandLine } from "./src/cli/mod.ts";
import { formatRecord, LogLevel, setLogLevel } from "./src/log.ts";
import { runServer } from "./src/server/supervisor.ts";

/** The oldest Deno this server runs on (zeromq's native addon needs `uv_unref`, added in 2.9). */
export const MIN_DENO = [2, 9, 0] as const;

/**
 * Whether `version` (like `"2.9.6"`) is at least {@linkcode MIN_DENO}.
 *
 * @example
 * ```ts
 * import { denoVersionSupported } from "./main.ts";
 * if (!denoVersionSupported("2.9.0") || denoVersionSupported("2.8.9")) throw new Error();
 * ```
 */
export function denoVersionSupported(version: string): boolean {
  const parts = version.split(/[.+-]/).map((p) => parseInt(p, 10));
  for (let i = 0; i < 3; i++) {
    const have = parts[i] ?? 0;
    const need = MIN_DENO[i]!;
    if (have !== need) return have > need;
  }
  return true;
}

async function main(): Promise<number> {
  if (!denoVersionSupported(Deno.version.deno)) {
    console.error(
      `condure: Deno ${
        MIN_DENO.join(".")
      } or newer is required (this is ${Deno.version.deno}); ` +
        "run it with `npx -y deno@2 task start` or upgrade Deno",
    );
    return 1;
  }
  const result = parseCommandLine(Deno.args);
  if (result.kind === "exit") {
    if (result.stdout) {
      await Deno.stdout.write(new TextEncoder().encode(result.stdout));
    }
    if (result.stderr) {
      await Deno.stderr.write(new TextEncoder().encode(result.stderr));
    }
    return result.code;
  }
  const config = result.config;
  setLogLevel(config.logLevel);
  const unsupported = checkSupported(config);
  if (unsupported !== null) {
    console.log(formatRecord(LogLevel.Error, "condure", unsupported));
    return 1;
  }
  return await runServer(config);
}

if (import.meta.main) {
  Deno.exit(await main());
}
