/**
 * The URI a request packet carries, built from the request head (reference §6.4).
 *
 * @module
 */

import type { RequestHead } from "../http1/mod.ts";

const UTF8_STRICT = new TextDecoder("utf-8", { fatal: true });

/**
 * `scheme://host/target`, with the `Host` header decoded as strict UTF-8 (`localhost` when it
 * is absent or not UTF-8).
 *
 * @example
 * ```ts
 * import { requestUri } from "./request_uri.ts";
 * const head = { host: new TextEncoder().encode("example.com"), target: "/a?b" };
 * if (requestUri(head, "http") !== "http://example.com/a?b") throw new Error();
 * ```
 */
export function requestUri(
  head: Pick<RequestHead, "host" | "target">,
  scheme: string,
): string {
  let host = "localhost";
  if (head.host !== undefined) {
    try {
      host = UTF8_STRICT.decode(head.host);
    } catch {
      host = "localhost";
    }
  }
  return `${scheme}://${host}${head.target}`;
}
