/**
 * Condure 1.9.1's command line: flags → one {@linkcode Config}, or the exit Condure would
 * make (help, version, errors) with identical stdout, stderr and exit code.
 *
 * A typical entry point:
 * 1. `parseCommandLine(Deno.args)`; on `exit`, write `stdout`/`stderr` and exit with `code`.
 * 2. `checkSupported(config)`; if it returns a message, log it at ERR and exit 1.
 * 3. Log `starting...` at INFO, then `startupError(config)`; if it returns a message, log it
 *    at ERR (target `condure`) and exit 1, as Condure does.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./mod.ts";
 * const r = parseCommandLine(["--version"]);
 * if (r.kind !== "exit" || r.stdout !== "condure 1.9.1\n") throw new Error();
 * ```
 *
 * @module
 */

export type {
  Config,
  ListenMode,
  ListenSpec,
  TcpAddress,
  UnixAddress,
} from "./config.ts";
export { type CliResult, parseCommandLine, VERSION } from "./parse.ts";
export { parseListenSpec } from "./listen.ts";
export { startupError, type StreamSpecs, streamSpecs } from "./startup.ts";
export { checkSupported, type Feature, UNSUPPORTED } from "./supported.ts";
