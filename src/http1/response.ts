import { CR, LF, rangeEqualsLower, TCHAR } from "./_bytes.ts";

/** How the body following a response head is framed. */
export type ResponseBody =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/** Input of {@linkcode encodeResponseHead}. */
export interface ResponseHeadOptions {
  /** The request's minor version: the status line says `HTTP/1.<versionMinor>`. */
  versionMinor: 0 | 1;
  /** Status code, written as given (Condure writes a missing code as `0`). */
  code: number;
  /** Reason phrase, written verbatim (UTF-8); may be empty. */
  reason: string;
  /**
   * The handler's headers, written in order except Content-Length, Transfer-Encoding and
   * Connection (Connection is kept when `code` is 101), matched ignoring case.
   */
  headers: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
  /** Whether the connection stays open after this response. */
  persistent: boolean;
  /**
   * Body framing: `none` (no length header; 1xx/204/304), `length` (`Content-Length`),
   * `chunked` (HTTP/1.1 only) or `close` (raw bytes until the connection closes).
   */
  body: ResponseBody;
}

const encoder = new TextEncoder();
const KEEP_ALIVE = "Connection: keep-alive\r\n";
const CLOSE = "Connection: close\r\n";
const CHUNKED =
  "Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n";

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function writeAscii(out: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
  return pos;
}

function dropped(name: Uint8Array, keepConnection: boolean): boolean {
  const n = name.length;
  return (n === 14 && rangeEqualsLower(name, 0, n, "content-length")) ||
    (n === 17 && rangeEqualsLower(name, 0, n, "transfer-encoding")) ||
    (n === 10 && !keepConnection && rangeEqualsLower(name, 0, n, "connection"));
}

function checkHeader(name: Uint8Array, value: Uint8Array): void {
  if (name.length === 0) {
    throw new TypeError("Cannot encode response head: empty header name");
  }
  for (let i = 0; i < name.length; i++) {
    if (TCHAR[name[i]!] !== 1) {
      throw new TypeError("Cannot encode response head: invalid header name");
    }
  }
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (b === CR || b === LF || b === 0) {
      throw new TypeError("Cannot encode response head: invalid header value");
    }
  }
}

/**
 * Encodes a response head the way Condure writes it (reference §6.5): the status line
 * `HTTP/1.x <code> <reason>`, the handler's headers minus the framing ones, then in order
 * `Connection: keep-alive` (HTTP/1.0 and persistent) or `Connection: close` (HTTP/1.1 and not
 * persistent), for chunked the literal `Connection: Transfer-Encoding`, then
 * `Content-Length: N` or `Transfer-Encoding: chunked`, and the blank line.
 *
 * Unlike Condure, refuses to write what would break the framing: a header name that is not a
 * token, a value or reason with CR, LF or NUL, or chunked framing for HTTP/1.0.
 *
 * @throws {TypeError} for such a header or reason.
 * @throws {RangeError} for chunked with HTTP/1.0, or a code or length that is not a
 * non-negative integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeResponseHead } from "./response.ts";
 * const head = encodeResponseHead({
 *   versionMinor: 1, code: 200, reason: "OK", headers: [], persistent: true,
 *   body: { kind: "length", length: 6 },
 * });
 * assert(new TextDecoder().decode(head) === "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n");
 * ```
 */
export function encodeResponseHead(o: ResponseHeadOptions): Uint8Array {
  const { code, reason, body } = o;
  if (!Number.isInteger(code) || code < 0 || code > 65535) {
    throw new RangeError(
      `Cannot encode response head: invalid status code ${code}`,
    );
  }
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    if (c === CR || c === LF || c === 0) {
      throw new TypeError("Cannot encode response head: invalid reason");
    }
  }
  const keepConnection = code === 101;
  let tail = "";
  if (o.versionMinor === 0) {
    if (o.persistent) tail = KEEP_ALIVE;
  } else if (!o.persistent) tail = CLOSE;
  switch (body.kind) {
    case "length":
      if (!Number.isSafeInteger(body.length) || body.length < 0) {
        throw new RangeError(
          `Cannot encode response head: invalid length ${body.length}`,
        );
      }
      tail += `Content-Length: ${body.length}\r\n`;
      break;
    case "chunked":
      if (o.versionMinor === 0) {
        throw new RangeError(
          "Cannot encode response head: chunked framing needs HTTP/1.1",
        );
      }
      tail += CHUNKED;
      break;
  }
  tail += "\r\n";

  const statusLine = `HTTP/1.${o.versionMinor} ${code} `;
  const reasonBytes = isAscii(reason) ? undefined : encoder.encode(reason);
  let size = statusLine.length + (reasonBytes?.length ?? reason.length) + 2 +
    tail.length;
  const headers = o.headers;
  for (let h = 0; h < headers.length; h++) {
    const [name, value] = headers[h]!;
    if (dropped(name, keepConnection)) continue;
    checkHeader(name, value);
    size += name.length + 2 + value.length + 2;
  }

  const out = new Uint8Array(size);
  let pos = writeAscii(out, 0, statusLine);
  if (reasonBytes === undefined) pos = writeAscii(out, pos, reason);
  else {
    out.set(reasonBytes, pos);
    pos += reasonBytes.length;
  }
  out[pos++] = CR;
  out[pos++] = LF;
  for (let h = 0; h < headers.length; h++) {
    const [name, value] = headers[h]!;
    if (dropped(name, keepConnection)) continue;
    out.set(name, pos);
    pos += name.length;
    out[pos++] = 0x3a;
    out[pos++] = 0x20;
    out.set(value, pos);
    pos += value.length;
    out[pos++] = CR;
    out[pos++] = LF;
  }
  writeAscii(out, pos, tail);
  return out;
}

/**
 * Whether a response with this status code never has a body (1xx, 204, 304): no
 * Content-Length is written and handler body bytes are discarded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusCodeHasNoBody } from "./response.ts";
 * assert(statusCodeHasNoBody(204) && !statusCodeHasNoBody(200));
 * ```
 */
export function statusCodeHasNoBody(code: number): boolean {
  return (code >= 100 && code < 200) || code === 204 || code === 304;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  413: "Content Too Large",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * The reason phrase this codec writes for an error status (RFC 9110 wording), or `"Error"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reasonPhrase } from "./response.ts";
 * assert(reasonPhrase(431) === "Request Header Fields Too Large");
 * ```
 */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? "Error";
}

/**
 * A complete error response in the format of Pushpin's connmgr, which the connection then
 * closes: `HTTP/1.1 <status> <reason>`, `Content-Type: text/plain`, `Connection: close`,
 * `Content-Length`, and the body `<message>\n`. The header order is that of
 * {@linkcode encodeResponseHead} (the writer Pushpin shares with Condure).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeErrorResponse } from "./response.ts";
 * const r = new TextDecoder().decode(encodeErrorResponse(400, "Failed to parse request: x"));
 * assert(r.startsWith("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"));
 * assert(r.endsWith("Content-Length: 27\r\n\r\nFailed to parse request: x\n"));
 * ```
 */
export function encodeErrorResponse(
  status: number,
  message: string,
): Uint8Array {
  const body = encoder.encode(message + "\n");
  const head = encodeResponseHead({
    versionMinor: 1,
    code: status,
    reason: reasonPhrase(status),
    headers: [[encoder.encode("Content-Type"), encoder.encode("text/plain")]],
    persistent: false,
    body: { kind: "length", length: body.length },
  });
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Input of {@linkcode chooseResponseBody}. */
export interface ChooseResponseBodyOptions {
  /** The request's minor version. */
  versionMinor: 0 | 1;
  /** The response status code. */
  code: number;
  /** The handler's Content-Length (see `parseContentLength`), if it sent one. */
  contentLength: number | undefined;
  /** Whether more body packets follow the first one. */
  more: boolean;
  /** Body bytes in the first packet. */
  bodyLength: number;
}

/**
 * Condure's body size decision (reference §6.5): 1xx/204/304 → none; the handler's
 * Content-Length, trusted as-is; else, without `more`, the first packet's body length; else
 * chunked for HTTP/1.1 and raw-until-close for HTTP/1.0. With `close` the connection must not
 * be kept (Condure 1.9.1 keeps an HTTP/1.0 keep-alive one open, a defect not to copy).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseResponseBody } from "./response.ts";
 * const b = chooseResponseBody({
 *   versionMinor: 1, code: 200, contentLength: undefined, more: true, bodyLength: 3,
 * });
 * assert(b.kind === "chunked");
 * ```
 */
export function chooseResponseBody(o: ChooseResponseBodyOptions): ResponseBody {
  if (statusCodeHasNoBody(o.code)) return { kind: "none" };
  if (o.contentLength !== undefined) {
    return { kind: "length", length: o.contentLength };
  }
  if (!o.more) return { kind: "length", length: o.bodyLength };
  return o.versionMinor === 1 ? { kind: "chunked" } : { kind: "close" };
}
