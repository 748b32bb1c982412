/**
 * Command-line tokenizing with the behaviour and error texts of clap 3.2 as built into
 * Condure 1.9.1: `--opt value` and `--opt=value`; `--listen`, `--zclient-req` and
 * `--zclient-stream` repeat and take several values each (`--listen 1 2`) until the next
 * flag or `--`; `-h`/`--help` and `-V`/`--version` act at once; usage errors exit 2.
 *
 * @module
 */

import { HELP_TEXT } from "./_help.ts";
import { didYouMean } from "./_suggest.ts";

/** One option of the command line. */
export interface ArgDef {
  /** Long name without the dashes. */
  long: string;
  /** Value name shown in usage (`N`), absent for flags. */
  valueName?: string;
  /** Takes several values and may repeat. */
  multiple?: boolean;
}

/** Condure 1.9.1's options, in their definition order (`help`/`version` come first in clap). */
export const ARGS: readonly ArgDef[] = [
  { long: "help" },
  { long: "version" },
  { long: "log-level", valueName: "N" },
  { long: "id", valueName: "ID" },
  { long: "workers", valueName: "N" },
  { long: "req-maxconn", valueName: "N" },
  { long: "stream-maxconn", valueName: "N" },
  { long: "buffer-size", valueName: "N" },
  { long: "body-buffer-size", valueName: "N" },
  { long: "messages-max", valueName: "N" },
  { long: "req-timeout", valueName: "N" },
  { long: "stream-timeout", valueName: "N" },
  {
    long: "listen",
    valueName: "[addr:]port[,params...]",
    multiple: true,
  },
  { long: "zclient-req", valueName: "spec", multiple: true },
  { long: "zclient-stream", valueName: "spec-base", multiple: true },
  { long: "zclient-connect" },
  { long: "ipc-file-mode", valueName: "octal" },
  { long: "tls-identities-dir", valueName: "directory" },
  { long: "compression" },
  { long: "sizes" },
];

const BY_LONG: ReadonlyMap<string, ArgDef> = new Map(
  ARGS.map((a) => [a.long, a]),
);

/** Version text printed by `--version`. */
export const VERSION_TEXT = "condure 1.9.1\n";

/** What tokenizing produced. */
export type ArgsOutcome =
  | { kind: "matches"; matches: Map<string, string[]> }
  | { kind: "exit"; code: number; stdout: string; stderr: string };

function display(arg: ArgDef): string {
  if (arg.valueName === undefined) return `--${arg.long}`;
  return `--${arg.long} <${arg.valueName}>${arg.multiple ? "..." : ""}`;
}

const FOOTER = "\n\nFor more information try --help\n";

function usageError(message: string, usage: string): ArgsOutcome {
  return {
    kind: "exit",
    code: 2,
    stdout: "",
    stderr: `error: ${message}\n\nUSAGE:\n    ${usage}${FOOTER}`,
  };
}

function unknownArgument(
  arg: string,
  options: { suggestion?: string; usage?: string } = {},
): ArgsOutcome {
  let message =
    `Found argument '${arg}' which wasn't expected, or isn't valid in this context`;
  if (options.suggestion !== undefined) {
    message += `\n\n\tDid you mean '--${options.suggestion}'?`;
  }
  if (arg.startsWith("-")) {
    message +=
      `\n\n\tIf you tried to supply \`${arg}\` as a value rather than a flag, use \`-- ${arg}\``;
  }
  return usageError(message, options.usage ?? "condure [OPTIONS]");
}

function exitWith(stdout: string): ArgsOutcome {
  return { kind: "exit", code: 0, stdout, stderr: "" };
}

/** Per-option occurrences: each is the list of values given to that occurrence. */
type Occurrences = Map<string, string[][]>;

/** Usage line built from the options seen so far, as clap shows after an unknown long flag. */
function smartUsage(seen: Occurrences, suggestion?: string): string {
  const names = [...seen.keys()];
  if (suggestion !== undefined && !seen.has(suggestion)) names.push(suggestion);
  if (names.length === 0) return "condure [OPTIONS]";
  return ["condure", ...names.map((n) => display(BY_LONG.get(n)!))].join(" ");
}

/**
 * Tokenizes `args` as Condure 1.9.1's clap 3.2 parser does. On success, each given option
 * maps to its values (flags map to an empty list; repeatable options accumulate).
 *
 * @example
 * ```ts
 * import { parseArgs } from "./_args.ts";
 * const r = parseArgs(["--listen", "80", "81", "--id=x"]);
 * if (r.kind !== "matches" || r.matches.get("listen")?.length !== 2) throw new Error();
 * ```
 */
export function parseArgs(args: readonly string[]): ArgsOutcome {
  const seen: Occurrences = new Map();
  let pending: ArgDef | undefined; // option awaiting (more) values
  let trailing = false; // after `--`: everything is a positional (and unexpected)

  const startOccurrence = (arg: ArgDef): string[] => {
    const values: string[] = [];
    const list = seen.get(arg.long);
    if (list === undefined) seen.set(arg.long, [values]);
    else list.push(values);
    return values;
  };

  for (const raw of args) {
    if (!trailing) {
      if (raw === "--") {
        trailing = true;
        continue;
      }
      if (raw.startsWith("--")) {
        const eq = raw.indexOf("=", 2);
        const name = eq === -1 ? raw.slice(2) : raw.slice(2, eq);
        const attached = eq === -1 ? undefined : raw.slice(eq + 1);
        const arg = BY_LONG.get(name);
        if (arg === undefined) {
          const suggestion = didYouMean(name, BY_LONG.keys());
          return unknownArgument(`--${name}`, {
            ...(suggestion === undefined ? {} : { suggestion }),
            usage: smartUsage(seen, suggestion),
          });
        }
        if (arg.valueName === undefined) {
          if (attached !== undefined) {
            return {
              kind: "exit",
              code: 2,
              stdout: "",
              stderr: `error: The value '${attached}' was provided to '${
                display(arg)
              }' but it wasn't expecting any more values\n\ncondure [OPTIONS]${FOOTER}`,
            };
          }
          if (arg.long === "help") return exitWith(HELP_TEXT);
          if (arg.long === "version") return exitWith(VERSION_TEXT);
          startOccurrence(arg);
          pending = undefined;
          continue;
        }
        const values = startOccurrence(arg);
        if (attached !== undefined) {
          values.push(attached);
          pending = undefined;
        } else {
          pending = arg;
        }
        continue;
      }
      if (raw.startsWith("-") && raw !== "-") {
        // A cluster of short flags: only -h and -V exist, and both end parsing.
        const flag = [...raw.slice(1)][0];
        if (flag === "h") return exitWith(HELP_TEXT);
        if (flag === "V") return exitWith(VERSION_TEXT);
        return unknownArgument(`-${flag}`);
      }
      if (pending !== undefined) {
        const occurrences = seen.get(pending.long)!;
        occurrences[occurrences.length - 1]!.push(raw);
        if (!pending.multiple) pending = undefined;
        continue;
      }
    }
    return unknownArgument(raw);
  }

  // Validation after parsing, in clap's order: the option still awaiting a value first,
  // then every option in the order first seen.
  const emptyValue = (arg: ArgDef): ArgsOutcome => ({
    kind: "exit",
    code: 2,
    stdout: "",
    stderr: `error: The argument '${
      display(arg)
    }' requires a value but none was supplied${FOOTER}`,
  });
  const allEmpty = (name: string) =>
    (seen.get(name) ?? []).every((values) => values.length === 0);
  if (pending !== undefined && allEmpty(pending.long)) {
    return emptyValue(pending);
  }
  const matches = new Map<string, string[]>();
  for (const [name, occurrences] of seen) {
    const arg = BY_LONG.get(name)!;
    if (arg.valueName !== undefined && allEmpty(name)) return emptyValue(arg);
    if (!arg.multiple && occurrences.length > 1) {
      return usageError(
        `The argument '${
          display(arg)
        }' was provided more than once, but cannot be used multiple times`,
        "condure [OPTIONS]",
      );
    }
    matches.set(name, occurrences.flat());
  }
  return { kind: "matches", matches };
}
