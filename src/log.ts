/**
 * Logging in Condure's line format, written to stdout:
 * `[LEVEL] YYYY-MM-DD HH:MM:SS.mmm [target] message` in local time.
 *
 * @module
 */

/** Numeric levels as `--log-level` takes them. */
export const LogLevel = {
  Error: 0,
  Warn: 1,
  Info: 2,
  Debug: 3,
  Trace: 4,
} as const;

/** A numeric log level (0 error … 4 trace). */
export type LogLevel = typeof LogLevel[keyof typeof LogLevel];

const NAMES = ["ERR", "WARN", "INFO", "DEBUG", "TRACE"] as const;

let currentLevel = 2;
const encoder = new TextEncoder();

/**
 * Sets the process-wide (isolate-wide) log level; values above 4 mean trace.
 *
 * @example
 * ```ts
 * import { setLogLevel } from "./log.ts";
 * setLogLevel(3);
 * ```
 */
export function setLogLevel(level: number): void {
  currentLevel = level;
}

/**
 * Whether records at `level` are written now; use it to skip building costly messages.
 *
 * @example
 * ```ts
 * import { enabled, LogLevel } from "./log.ts";
 * if (enabled(LogLevel.Trace)) console.log("tracing");
 * ```
 */
export function enabled(level: LogLevel): boolean {
  return level <= currentLevel;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * Formats one log record as a line (without the newline).
 *
 * @example
 * ```ts
 * import { formatRecord, LogLevel } from "./log.ts";
 * const line = formatRecord(LogLevel.Info, "condure", "started", new Date(2026, 0, 2, 3, 4, 5, 6));
 * if (line !== "[INFO] 2026-01-02 03:04:05.006 [condure] started") throw new Error(line);
 * ```
 */
export function formatRecord(
  level: LogLevel,
  target: string,
  message: string,
  now: Date = new Date(),
): string {
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${
    pad(now.getDate())
  }`;
  const time = `${pad(now.getHours())}:${pad(now.getMinutes())}:${
    pad(now.getSeconds())
  }.${pad(now.getMilliseconds(), 3)}`;
  return `[${NAMES[level]}] ${date} ${time} [${target}] ${message}`;
}

/**
 * Writes one record to stdout if `level` is enabled.
 *
 * @example
 * ```ts
 * import { log, LogLevel } from "./log.ts";
 * log(LogLevel.Debug, "condure::server", "not shown at the default level");
 * ```
 */
export function log(level: LogLevel, target: string, message: string): void {
  if (level > currentLevel) return;
  const line = formatRecord(level, target, message) + "\n";
  try {
    Deno.stdout.writeSync(encoder.encode(line));
  } catch {
    // stdout gone (closed pipe): logging must never take the server down.
  }
}

/**
 * A logger bound to one target (Condure's Rust module path, e.g. `condure::server`).
 *
 * @example
 * ```ts
 * import { Logger } from "./log.ts";
 * const logger = new Logger("condure");
 * logger.debug("hidden at the default level");
 * ```
 */
export class Logger {
  readonly #target: string;

  /** Creates a logger for `target`. */
  constructor(target: string) {
    this.#target = target;
  }

  /** Logs at ERR. */
  error(message: string): void {
    log(LogLevel.Error, this.#target, message);
  }
  /** Logs at WARN. */
  warn(message: string): void {
    log(LogLevel.Warn, this.#target, message);
  }
  /** Logs at INFO. */
  info(message: string): void {
    log(LogLevel.Info, this.#target, message);
  }
  /** Logs at DEBUG. */
  debug(message: string): void {
    log(LogLevel.Debug, this.#target, message);
  }
  /** Logs at TRACE. */
  trace(message: string): void {
    log(LogLevel.Trace, this.#target, message);
  }
  /** Whether DEBUG records are written. */
  get debugEnabled(): boolean {
    return LogLevel.Debug <= currentLevel;
  }
  /** Whether TRACE records are written. */
  get traceEnabled(): boolean {
    return LogLevel.Trace <= currentLevel;
  }
}
