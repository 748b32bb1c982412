/**
 * The WebSocket opening handshake as Condure does it over ZHTTP (reference §7.1, §7.3, §7.4):
 * validating an upgrade request, and writing the handler's accept (101) or rejection.
 *
 * Pure: request heads in, response bytes out.
 *
 * @module
 */

import {
  encodeResponseHead,
  findHeader,
  headerNameEquals,
  HttpError,
  type RequestHead,
} from "../http1/mod.ts";
import {
  computeAcceptKey,
  type DeflateNegotiation,
  negotiateDeflate,
  parseExtensions,
} from "../websocket/mod.ts";
import type { Header } from "../zhttp/mod.ts";

/** Longest `Sec-WebSocket-Key` accepted (Condure's `WS_KEY_MAX`). */
export const WS_KEY_MAX = 220;

/** Most handler headers an accept may carry: 4 of the 64 slots go to the upgrade headers. */
export const WS_ACCEPT_HEADERS_MAX = 60;

const ENCODER = new TextEncoder();
const UPGRADE: Header = [
  ENCODER.encode("Upgrade"),
  ENCODER.encode("websocket"),
];
const CONNECTION: Header = [
  ENCODER.encode("Connection"),
  ENCODER.encode("Upgrade"),
];
const ACCEPT_NAME = ENCODER.encode("Sec-WebSocket-Accept");
const EXTENSIONS_NAME = ENCODER.encode("Sec-WebSocket-Extensions");

/** What a valid upgrade request leads to. */
export interface WsUpgrade {
  /** The `Sec-WebSocket-Accept` value for the request's key. */
  acceptKey: string;
  /** The permessage-deflate agreement, when `--compression` is on and the client offered it. */
  deflate: DeflateNegotiation | null;
}

/**
 * Validates a WebSocket upgrade request as Condure does (reference §7.1): `GET`, no body
 * (`Content-Length: 0` allowed, chunked not), `Sec-WebSocket-Version: 13`, a
 * `Sec-WebSocket-Key` of at most {@linkcode WS_KEY_MAX} bytes, and a well-formed
 * `Sec-WebSocket-Extensions` (parsed even without compression). With `compression` the
 * permessage-deflate offer is negotiated (reference §7.9).
 *
 * Condure closes the connection silently on failure; this throws {@linkcode HttpError} 400
 * so that the caller can answer `400 Bad Request` first (like Pushpin's connmgr).
 *
 * @example
 * ```ts
 * import { parseRequestHead } from "../http1/mod.ts";
 * import { validateUpgrade } from "./ws_handshake.ts";
 * const head = parseRequestHead(new TextEncoder().encode(
 *   "GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
 *     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
 * ), { maxHeadSize: 8192 })!;
 * console.log(validateUpgrade(head, { compression: false }).acceptKey);
 * // s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
 * ```
 */
export function validateUpgrade(
  head: RequestHead,
  options: { compression: boolean },
): WsUpgrade {
  if (head.method !== "GET") {
    throw new HttpError(400, "Invalid WebSocket request: method is not GET.");
  }
  if (
    head.bodyKind === "chunked" ||
    (head.bodyKind === "length" && head.contentLength > 0)
  ) {
    throw new HttpError(400, "Invalid WebSocket request: unexpected body.");
  }
  const version = findHeader(head.headers, "sec-websocket-version");
  if (
    version === undefined || version.length !== 2 || version[0] !== 0x31 ||
    version[1] !== 0x33
  ) {
    throw new HttpError(
      400,
      "Invalid WebSocket request: Sec-WebSocket-Version must be 13.",
    );
  }
  const key = findHeader(head.headers, "sec-websocket-key");
  if (key === undefined || key.length > WS_KEY_MAX) {
    throw new HttpError(
      400,
      "Invalid WebSocket request: missing or oversized Sec-WebSocket-Key.",
    );
  }
  const offers: Uint8Array[] = [];
  for (const [name, value] of head.headers) {
    if (headerNameEquals(name, "sec-websocket-extensions")) offers.push(value);
  }
  let deflate: DeflateNegotiation | null = null;
  try {
    if (options.compression) deflate = negotiateDeflate(offers);
    else if (offers.length > 0) parseExtensions(offers);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw new HttpError(
      400,
      "Invalid WebSocket request: malformed Sec-WebSocket-Extensions.",
    );
  }
  return { acceptKey: computeAcceptKey(key), deflate };
}

/** Whether a handler header is one the manager replaces (reference §7.3). */
function isWsHeader(name: Uint8Array): boolean {
  return headerNameEquals(name, "upgrade") ||
    headerNameEquals(name, "connection") ||
    headerNameEquals(name, "sec-websocket-accept") ||
    headerNameEquals(name, "sec-websocket-extensions");
}

function withoutWsHeaders(headers: readonly Header[]): Header[] {
  const out: Header[] = [];
  for (const h of headers) if (!isWsHeader(h[0])) out.push(h);
  return out;
}

/** Input of {@linkcode encodeAcceptHead}. */
export interface AcceptHeadOptions {
  /** The request's minor HTTP version. */
  versionMinor: 0 | 1;
  /** The handler's status code (normally 101). */
  code: number;
  /** The handler's reason phrase. */
  reason: string;
  /** The handler's headers. */
  headers: readonly Header[];
  /** From {@linkcode validateUpgrade}. */
  upgrade: WsUpgrade;
}

/**
 * The `101` response head for a handler's accept (reference §7.3): the handler's headers
 * minus `Upgrade`, `Connection`, `Sec-WebSocket-Accept` and `Sec-WebSocket-Extensions`
 * (and the framing headers), then `Upgrade: websocket`, `Connection: Upgrade`,
 * `Sec-WebSocket-Accept` and, when negotiated, `Sec-WebSocket-Extensions`.
 * Throws `TypeError` for a header or reason that cannot be written.
 *
 * @example
 * ```ts
 * import { encodeAcceptHead } from "./ws_handshake.ts";
 * const head = encodeAcceptHead({
 *   versionMinor: 1, code: 101, reason: "Switching Protocols", headers: [],
 *   upgrade: { acceptKey: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", deflate: null },
 * });
 * console.log(new TextDecoder().decode(head).split("\r\n")[1]); // Upgrade: websocket
 * ```
 */
export function encodeAcceptHead(options: AcceptHeadOptions): Uint8Array {
  const headers = withoutWsHeaders(options.headers);
  headers.push(UPGRADE, CONNECTION, [
    ACCEPT_NAME,
    ENCODER.encode(options.upgrade.acceptKey),
  ]);
  const deflate = options.upgrade.deflate;
  if (deflate !== null) {
    headers.push([EXTENSIONS_NAME, ENCODER.encode(deflate.response)]);
  }
  return encodeResponseHead({
    versionMinor: options.versionMinor,
    code: options.code,
    reason: options.reason,
    headers,
    // no Connection: close/keep-alive of our own: the connection is upgraded
    persistent: options.versionMinor === 1,
    body: { kind: "none" },
  });
}

/** Input of {@linkcode encodeWsHttpResponse}. */
export interface WsHttpResponseOptions {
  /** The request's minor HTTP version. */
  versionMinor: 0 | 1;
  /** Status code. */
  code: number;
  /** Reason phrase. */
  reason: string;
  /** The handler's headers (the WebSocket ones are dropped). */
  headers: readonly Header[];
  /** The response body. */
  body: Uint8Array;
}

/**
 * A complete HTTP response answering an upgrade request that the handler rejected
 * (`error`/`rejected`, reference §7.4) or accepted with a code other than 101: the handler's
 * headers minus the WebSocket ones, `Content-Length`, the body. The connection is closed
 * afterwards. Throws `TypeError` for a header or reason that cannot be written.
 *
 * @example
 * ```ts
 * import { encodeWsHttpResponse } from "./ws_handshake.ts";
 * const te = new TextEncoder();
 * const r = encodeWsHttpResponse({
 *   versionMinor: 1, code: 403, reason: "Forbidden",
 *   headers: [[te.encode("Content-Type"), te.encode("text/plain")]], body: te.encode("nope\n"),
 * });
 * console.log(new TextDecoder().decode(r));
 * // HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nnope\n
 * ```
 */
export function encodeWsHttpResponse(
  options: WsHttpResponseOptions,
): Uint8Array {
  const head = encodeResponseHead({
    versionMinor: options.versionMinor,
    code: options.code,
    reason: options.reason,
    headers: withoutWsHeaders(options.headers),
    persistent: options.versionMinor === 1, // Condure writes no Connection header here
    body: { kind: "length", length: options.body.length },
  });
  const out = new Uint8Array(head.length + options.body.length);
  out.set(head);
  out.set(options.body, head.length);
  return out;
}
