/**
 * Identity names: which file pairs in the identities directory may serve a TLS server name.
 *
 * @module
 */

/** Longest DNS name accepted as an identity name (RFC 1035 text form). */
export const IDENTITY_NAME_MAX = 253;

/**
 * Whether `name` can name a `<name>.crt` / `<name>.key` pair without leaving the identities
 * directory: 1-253 characters, no control characters, no `/` or `\`, no `..`.
 *
 * @example
 * ```ts
 * import { isSafeIdentityName } from "./identity_name.ts";
 * if (!isSafeIdentityName("www.example.com") || isSafeIdentityName("../etc/passwd")) {
 *   throw new Error();
 * }
 * ```
 */
export function isSafeIdentityName(name: string): boolean {
  if (name.length === 0 || name.length > IDENTITY_NAME_MAX) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x2f /* / */ || c === 0x5c /* \ */) {
      return false;
    }
  }
  return !name.includes("..");
}

/**
 * The identity names tried, in order, for a TLS server name (SNI, `""` when absent):
 * the lowercased name, then the one-level wildcard `_.<parent>`, then `defaultCert`.
 * Unsafe names are left out (see {@linkcode isSafeIdentityName}).
 *
 * @example
 * ```ts
 * import { identityCandidates } from "./identity_name.ts";
 * const names = identityCandidates("WWW.Example.com", "fallback");
 * if (names.join() !== "www.example.com,_.example.com,fallback") throw new Error();
 * ```
 */
export function identityCandidates(
  serverName: string,
  defaultCert?: string,
): string[] {
  const out: string[] = [];
  if (serverName.length > 0) {
    const name = serverName.toLowerCase();
    if (isSafeIdentityName(name)) {
      out.push(name);
      const dot = name.indexOf(".");
      if (dot !== -1 && dot < name.length - 1) {
        const wildcard = `_.${name.slice(dot + 1)}`;
        if (wildcard.length <= IDENTITY_NAME_MAX && wildcard !== name) {
          out.push(wildcard);
        }
      }
    }
  }
  if (
    defaultCert !== undefined && isSafeIdentityName(defaultCert) &&
    !out.includes(defaultCert)
  ) {
    out.push(defaultCert);
  }
  return out;
}
