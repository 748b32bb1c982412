import {
  COLON,
  CR,
  digitsValue,
  FIELD_VALUE,
  HTAB,
  isOws,
  latin1,
  LF,
  rangeEquals,
  rangeEqualsLower,
  someListElement,
  SP,
  TCHAR,
} from "./_bytes.ts";
import { HttpError } from "./error.ts";

/** Most request header fields accepted (Condure's `HEADERS_MAX`); one more is a 431. */
export const HEADERS_MAX = 64;

/** Longest request-target accepted, in bytes (Condure's `URI_SIZE_MAX`); longer is a 414. */
export const URI_SIZE_MAX = 4096;

/** A header field as a pair of views into the parsed buffer: name and value (OWS trimmed). */
export type HeaderPair = readonly [name: Uint8Array, value: Uint8Array];

/** How the body of a request is framed. */
export type RequestBodyKind = "none" | "length" | "chunked";

/** A parsed request head. Byte fields are views into the buffer given to the parser. */
export interface RequestHead {
  /** The method token, e.g. `"GET"`. */
  method: string;
  /**
   * The request-target as received, one character per byte (latin1): bytes 0x80-0xff are
   * accepted like httparse does, so re-encode with a byte-per-char encoder, not TextEncoder.
   */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  versionMinor: 0 | 1;
  /** The header fields in received order and case, duplicates kept (views into the input). */
  headers: Array<HeaderPair>;
  /** Body framing: none, `Content-Length`, or chunked. */
  bodyKind: RequestBodyKind;
  /** The `Content-Length` value when `bodyKind` is `"length"` (may be 0), else 0. */
  contentLength: number;
  /** Whether the connection may carry another request after this exchange. */
  persistent: boolean;
  /** `Expect: 100-continue` on an HTTP/1.1 request that has a body. */
  expectContinue: boolean;
  /** The value of the Host header, if present (at most one is accepted). */
  host: Uint8Array | undefined;
  /** A header named `Upgrade` (any case) has the value `websocket` exactly (Condure's test). */
  websocket: boolean;
  /** Bytes of the buffer taken by the head (leading empty lines included). */
  headSize: number;
}

/** Options for {@linkcode parseRequestHead}. */
export interface ParseRequestHeadOptions {
  /** The largest head accepted, in bytes (Condure: `--buffer-size`); beyond is a 431. */
  maxHeadSize: number;
}

const TOKEN = "Failed to parse request: invalid token";
const VERSION = "Failed to parse request: invalid HTTP version";
const NEW_LINE = "Failed to parse request: invalid new line";
const HEADER_NAME = "Failed to parse request: invalid header name";
const HEADER_VALUE = "Failed to parse request: invalid header value";
const CONTENT_LENGTH = "Failed to parse request: invalid Content-Length";
const TRANSFER_ENCODING = "Failed to parse request: invalid Transfer-Encoding";

function bad(message: string): HttpError {
  return new HttpError(400, message);
}

function tooLong(): HttpError {
  return new HttpError(
    414,
    `Request URI exceeded limit of ${URI_SIZE_MAX} bytes.`,
  );
}

/** Where the target of a request line ends (its first byte not allowed in a target). */
function scanTarget(buf: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const b = buf[i]!;
    if (b <= SP || b === 0x7f) break;
    i++;
  }
  return i;
}

/**
 * Validates what has arrived of the request line in `buf[start, n)` so that garbage (e.g. a
 * TLS hello on a plain port) is refused at once rather than after `maxHeadSize` bytes.
 * Performs the same checks, in the same order, as the full parse.
 */
function checkPartialRequestLine(
  buf: Uint8Array,
  start: number,
  n: number,
): void {
  let i = start;
  while (i < n && TCHAR[buf[i]!] === 1) i++;
  if (i === n) return;
  // A lone CR may start a leading empty line.
  if (i === start && buf[i] === CR && i + 1 === n) return;
  if (buf[i] !== SP || i === start) throw bad(TOKEN);
  const t0 = ++i;
  i = scanTarget(buf, i, n);
  if (i - t0 > URI_SIZE_MAX) throw tooLong();
  if (i === n) return;
  if (buf[i] !== SP || i === t0) throw bad(TOKEN);
  i++;
  const prefix = "HTTP/1.";
  for (let k = 0; k < 8 && i + k < n; k++) {
    const b = buf[i + k]!;
    if (k < 7 ? b !== prefix.charCodeAt(k) : b !== 0x30 && b !== 0x31) {
      throw bad(VERSION);
    }
  }
  if (i + 8 < n && buf[i + 8] !== CR) throw bad(VERSION);
}

function methodString(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  const b0 = buf[start];
  if (
    n === 3 && b0 === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54
  ) {
    return "GET";
  }
  if (n === 4 && b0 === 0x50 && rangeEquals(buf, start, end, "POST")) {
    return "POST";
  }
  return latin1(buf, start, end);
}

/**
 * Parses an HTTP/1.x request head at the start of `buf`, without keeping any state between
 * calls: call it again with more bytes when it returns `null` (cheap: it first only looks for
 * the blank line). Leading empty lines (CRLF) are skipped as RFC 9112 §2.2 allows; lines must
 * end with CRLF (a bare CR or LF is a 400); obs-fold and whitespace before a colon are 400s.
 *
 * Throws {@linkcode HttpError}: 431 when `maxHeadSize` bytes hold no complete head or there are
 * more than {@linkcode HEADERS_MAX} fields, 414 for a target longer than
 * {@linkcode URI_SIZE_MAX}, 501 for a transfer coding other than chunked, 400 for anything
 * else malformed (bad or conflicting Content-Length, Content-Length with Transfer-Encoding,
 * Transfer-Encoding in HTTP/1.0, several Host fields).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRequestHead } from "./request_head.ts";
 * const buf = new TextEncoder().encode("GET /a HTTP/1.1\r\nHost: x\r\n\r\nnext");
 * const head = parseRequestHead(buf, { maxHeadSize: 8192 });
 * assert(head?.target === "/a" && head.headSize === 28);
 * assert(parseRequestHead(buf.subarray(0, 20), { maxHeadSize: 8192 }) === null);
 * ```
 */
export function parseRequestHead(
  buf: Uint8Array,
  options: ParseRequestHeadOptions,
): RequestHead | null {
  const maxHeadSize = options.maxHeadSize;
  const len = buf.length;
  const limit = len < maxHeadSize ? len : maxHeadSize;

  // Skip leading empty lines.
  let start = 0;
  while (start + 1 < limit && buf[start] === CR && buf[start + 1] === LF) {
    start += 2;
  }

  // Find the end of the head: every LF must follow a CR; CRLFCRLF ends the head.
  let end = -1;
  let lf = buf.indexOf(LF, start);
  while (lf !== -1 && lf < limit) {
    if (buf[lf - 1] !== CR || lf === start) throw bad(NEW_LINE);
    if (lf - 2 > start && buf[lf - 2] === LF) {
      end = lf + 1;
      break;
    }
    lf = buf.indexOf(LF, lf + 1);
  }
  if (end === -1) {
    checkPartialRequestLine(buf, start, limit);
    if (len >= maxHeadSize) {
      throw new HttpError(
        431,
        `Request header size exceeded limit of ${maxHeadSize} bytes.`,
      );
    }
    return null;
  }

  // Request line.
  let i = start;
  while (TCHAR[buf[i]!] === 1) i++;
  if (buf[i] !== SP || i === start) throw bad(TOKEN);
  const method = methodString(buf, start, i);
  const t0 = ++i;
  i = scanTarget(buf, i, end);
  if (i - t0 > URI_SIZE_MAX) throw tooLong();
  if (buf[i] !== SP || i === t0) throw bad(TOKEN);
  const target = latin1(buf, t0, i);
  i++;
  if (
    buf[i] !== 0x48 || buf[i + 1] !== 0x54 || buf[i + 2] !== 0x54 ||
    buf[i + 3] !== 0x50 || buf[i + 4] !== 0x2f || buf[i + 5] !== 0x31 ||
    buf[i + 6] !== 0x2e
  ) {
    throw bad(VERSION);
  }
  const v = buf[i + 7];
  if ((v !== 0x30 && v !== 0x31) || buf[i + 8] !== CR) throw bad(VERSION);
  const versionMinor = v === 0x31 ? 1 : 0;
  if (buf[i + 9] !== LF) throw bad(NEW_LINE);
  i += 10;

  // Header fields.
  const headers: Array<HeaderPair> = [];
  let contentLength = -1;
  let teChunked = 0;
  let teSeen = false;
  let teUnknown = false;
  let connClose = false;
  let connKeepAlive = false;
  let expect = false;
  let host: Uint8Array | undefined = undefined;
  let websocket = false;

  while (buf[i] !== CR) {
    const ns = i;
    while (TCHAR[buf[i]!] === 1) i++;
    if (buf[i] !== COLON || i === ns) throw bad(HEADER_NAME);
    const ne = i++;
    while (buf[i] === SP || buf[i] === HTAB) i++;
    const vs = i;
    while (FIELD_VALUE[buf[i]!] === 1) i++;
    if (buf[i] !== CR) throw bad(HEADER_VALUE);
    if (buf[i + 1] !== LF) throw bad(NEW_LINE);
    let ve = i;
    while (ve > vs && isOws(buf[ve - 1])) ve--;
    i += 2;
    if (headers.length === HEADERS_MAX) {
      throw new HttpError(431, "Failed to parse request: too many headers");
    }
    headers.push([buf.subarray(ns, ne), buf.subarray(vs, ve)]);

    switch (ne - ns) {
      case 4:
        if (rangeEqualsLower(buf, ns, ne, "host")) {
          if (host !== undefined) {
            throw bad("Failed to parse request: multiple Host headers");
          }
          host = headers[headers.length - 1]![1];
        }
        break;
      case 6:
        if (rangeEqualsLower(buf, ns, ne, "expect")) {
          if (
            someListElement(
              buf,
              vs,
              ve,
              (a, b) => rangeEqualsLower(buf, a, b, "100-continue"),
            )
          ) {
            expect = true;
          }
        }
        break;
      case 7:
        if (
          rangeEqualsLower(buf, ns, ne, "upgrade") &&
          rangeEquals(buf, vs, ve, "websocket")
        ) {
          websocket = true;
        }
        break;
      case 10:
        if (rangeEqualsLower(buf, ns, ne, "connection")) {
          someListElement(buf, vs, ve, (a, b) => {
            if (rangeEqualsLower(buf, a, b, "close")) connClose = true;
            else if (rangeEqualsLower(buf, a, b, "keep-alive")) {
              connKeepAlive = true;
            }
            return false;
          });
        }
        break;
      case 14:
        if (rangeEqualsLower(buf, ns, ne, "content-length")) {
          // A list of identical values (RFC 9110 §8.6) is accepted as that value.
          let any = false;
          someListElement(buf, vs, ve, (a, b) => {
            const n = digitsValue(buf, a, b);
            if (n === -1 || (contentLength !== -1 && n !== contentLength)) {
              throw bad(CONTENT_LENGTH);
            }
            contentLength = n;
            any = true;
            return false;
          });
          if (!any) throw bad(CONTENT_LENGTH);
        }
        break;
      case 17:
        if (rangeEqualsLower(buf, ns, ne, "transfer-encoding")) {
          teSeen = true;
          someListElement(buf, vs, ve, (a, b) => {
            if (rangeEqualsLower(buf, a, b, "chunked")) teChunked++;
            else teUnknown = true;
            return false;
          });
        }
        break;
    }
  }
  if (buf[i + 1] !== LF) throw bad(NEW_LINE);

  let bodyKind: RequestBodyKind = "none";
  if (teSeen) {
    if (contentLength !== -1) {
      throw bad(
        "Failed to parse request: both Content-Length and Transfer-Encoding",
      );
    }
    if (versionMinor === 0) {
      throw bad(
        "Failed to parse request: Transfer-Encoding in an HTTP/1.0 request",
      );
    }
    if (teUnknown) {
      throw new HttpError(
        501,
        "Failed to parse request: unsupported Transfer-Encoding",
      );
    }
    if (teChunked !== 1) throw bad(TRANSFER_ENCODING);
    bodyKind = "chunked";
  } else if (contentLength !== -1) {
    bodyKind = "length";
  }

  return {
    method,
    target,
    versionMinor,
    headers,
    bodyKind,
    contentLength: contentLength === -1 ? 0 : contentLength,
    persistent: versionMinor === 1 ? !connClose : connKeepAlive && !connClose,
    expectContinue: expect && versionMinor === 1 && bodyKind !== "none",
    host,
    websocket,
    headSize: end,
  };
}
