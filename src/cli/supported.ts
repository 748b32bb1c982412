/**
 * Features Condure has that this implementation does not have yet. They make start-up
 * fail clearly instead of being silently ignored; remove an entry when it lands.
 *
 * @module
 */

import type { Config } from "./config.ts";

/** A feature that can be switched on from the command line. */
export type Feature = "tls" | "default-cert" | "compression" | "req";

/** Not supported yet. The one place to edit as features land. */
export const UNSUPPORTED: ReadonlySet<Feature> = new Set<Feature>([]);

const DESCRIPTIONS: Readonly<Record<Feature, string>> = {
  "tls": 'tls (listen param "tls")',
  "default-cert": 'default-cert (listen param "default-cert=")',
  "compression": "compression (--compression)",
  "req": 'req mode (listen param "req")',
};

function used(config: Config, feature: Feature): boolean {
  switch (feature) {
    case "tls":
      return config.listen.some((l) => l.tls);
    case "default-cert":
      return config.listen.some((l) => l.defaultCert !== undefined);
    case "compression":
      return config.compression;
    case "req":
      return config.listen.some((l) => l.mode === "req");
  }
}

/**
 * The message for the first unsupported feature `config` uses, or `null`. The caller
 * decides how to report it (the entry point logs it at ERR and exits 1).
 *
 * @example
 * ```ts
 * import { checkSupported } from "./supported.ts";
 * import { parseCommandLine } from "./parse.ts";
 * const r = parseCommandLine(["--compression"]);
 * if (r.kind !== "run") throw new Error();
 * const message = checkSupported(r.config);
 * // "compression (--compression) is not supported yet" while it is listed in UNSUPPORTED
 * ```
 */
export function checkSupported(
  config: Config,
  unsupported: ReadonlySet<Feature> = UNSUPPORTED,
): string | null {
  for (const feature of unsupported) {
    if (used(config, feature)) {
      return `${DESCRIPTIONS[feature]} is not supported yet`;
    }
  }
  return null;
}
