/**
 * `--listen` values: `[addr:]port[,params...]` or `path,local[,params...]`.
 *
 * @module
 */

import type { ListenSpec } from "./config.ts";
import { parseRustUint } from "./_rust_int.ts";
import { parseSocketAddr } from "./_socket_addr.ts";

/**
 * Parses one `--listen` value as Condure does, with Condure 1.10's `mode=<octal>`, `user=`
 * and `group=` params for `local` sockets (Condure 1.9.1 rejects them; Pushpin passes them).
 *
 * Params: `stream`/`req` (last one wins, default stream), `tls`, `default-cert=NAME`,
 * `local`, `mode=`, `user=`, `group=`; a `key=value` param is matched on its key.
 * For `local`, the first part is a socket path and `tls`/`default-cert` are ignored;
 * `mode`/`user`/`group` on a TCP port are ignored, as in Condure.
 * A TCP address without `:` listens on `0.0.0.0`.
 *
 * @throws {TypeError} with Condure's message text, e.g.
 * `failed to parse listen: invalid param: foo`, `failed to parse listen: invalid port 70000`,
 * `failed to parse listen: invalid socket address syntax`, `failed to parse mode: …`.
 *
 * @example
 * ```ts
 * import { parseListenSpec } from "./listen.ts";
 * const spec = parseListenSpec("[::1]:8080,req");
 * if (spec.mode !== "req" || spec.address.kind !== "tcp" || spec.address.port !== 8080) {
 *   throw new Error();
 * }
 * ```
 */
export function parseListenSpec(text: string): ListenSpec {
  const parts = text.split(",");
  const first = parts[0] ?? "";
  let stream = true;
  let tls = false;
  let defaultCert: string | undefined;
  let local = false;
  let mode: number | undefined;
  let user: string | undefined;
  let group: string | undefined;

  for (const part of parts.slice(1)) {
    const eq = part.indexOf("=");
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? "" : part.slice(eq + 1);
    switch (key) {
      case "req":
        stream = false;
        break;
      case "stream":
        stream = true;
        break;
      case "tls":
        tls = true;
        break;
      case "default-cert":
        defaultCert = value;
        break;
      case "local":
        local = true;
        break;
      case "mode":
        try {
          mode = Number(parseRustUint(value, { bits: 32, radix: 8 }));
        } catch (e) {
          throw new TypeError(`failed to parse mode: ${(e as Error).message}`);
        }
        break;
      case "user":
        user = value;
        break;
      case "group":
        group = value;
        break;
      default:
        throw new TypeError(`failed to parse listen: invalid param: ${part}`);
    }
  }

  const listenMode = stream ? "stream" : "req";
  if (local) {
    return {
      address: {
        kind: "unix",
        path: first,
        ...(mode === undefined ? {} : { mode }),
        ...(user === undefined ? {} : { user }),
        ...(group === undefined ? {} : { group }),
      },
      mode: listenMode,
      tls: false,
    };
  }

  const colon = first.lastIndexOf(":");
  const port = first.slice(colon + 1);
  try {
    parseRustUint(port, { bits: 16 });
  } catch {
    throw new TypeError(`failed to parse listen: invalid port ${port}`);
  }
  const addr = parseSocketAddr(colon === -1 ? `0.0.0.0:${first}` : first);
  if (addr === undefined) {
    throw new TypeError(
      "failed to parse listen: invalid socket address syntax",
    );
  }
  return {
    address: { kind: "tcp", hostname: addr.hostname, port: addr.port },
    mode: listenMode,
    tls,
    ...(defaultCert === undefined ? {} : { defaultCert }),
  };
}
