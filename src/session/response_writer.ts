/**
 * HTTP/1 responses from handler packets. Stream mode (reference §6.6-§6.8): the head from the
 * handler's first data packet, then the body framed as the response calls for
 * (Content-Length, chunked, or until close), and whether the connection stays persistent. Req
 * mode (reference §9): one packet is the whole response.
 *
 * @module
 */

import {
  chooseResponseBody,
  encodeChunk,
  encodeResponseHead,
  findHeader,
  LAST_CHUNK,
  parseContentLength,
  type RequestHead,
  type ResponseBody,
  statusCodeHasNoBody,
} from "../http1/mod.ts";
import type { Header, InboundPacket } from "../zhttp/mod.ts";

const EMPTY = new Uint8Array(0);

/** A response body kind with no state (shared, to allocate nothing per cycle). */
const NO_BODY: ResponseBody = { kind: "none" };

/**
 * Turns a handler's data packets into the bytes of one HTTP/1 response.
 *
 * @example
 * ```ts
 * import { ResponseWriter } from "./response_writer.ts";
 * const w = new ResponseWriter();
 * w.reset({ versionMinor: 1, method: "GET", persistent: true });
 * const out = w.start({
 *   from: new Uint8Array(0), ids: [], type: "", multi: false, code: 200, reason: "OK",
 *   body: new TextEncoder().encode("hi"), more: false, credits: 0, hasBody: true,
 * }, 8192);
 * if (typeof out === "string" || !w.done) throw new Error();
 * ```
 */
export class ResponseWriter {
  #versionMinor: 0 | 1 = 1;
  #method = "";
  #started = false;
  #body: ResponseBody = NO_BODY;
  #remaining = 0;
  #discard = false;
  #done = false;
  /** Whether the connection may carry another request after this cycle. */
  persistent = false;

  /**
   * A new request cycle: for `head` (persistence starts as the request asked), or none yet
   * (not persistent).
   */
  reset(
    head: Pick<RequestHead, "versionMinor" | "method" | "persistent"> | null,
  ): void {
    this.#versionMinor = head?.versionMinor ?? 1;
    this.#method = head?.method ?? "";
    this.persistent = head?.persistent ?? false;
    this.#started = false;
    this.#body = NO_BODY;
    this.#remaining = 0;
    this.#discard = false;
    this.#done = false;
  }

  /** Whether the response head was written. */
  get started(): boolean {
    return this.#started;
  }

  /** Whether the last body bytes were written. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * The head and first body bytes of the response in the handler's first data packet, or the
   * detail of a session error: an invalid `Content-Length`, a header that cannot be written,
   * or a head (with its first body bytes) larger than `bufferSize`.
   */
  start(p: InboundPacket, bufferSize: number): Uint8Array | string {
    this.#started = true;
    const code = p.code ?? 0;
    const headers: readonly Header[] = p.headers ?? [];
    let contentLength: number | undefined;
    const cl = statusCodeHasNoBody(code)
      ? undefined
      : findHeader(headers, "content-length");
    if (cl !== undefined) {
      try {
        contentLength = parseContentLength(cl);
      } catch {
        return "invalid content-length";
      }
    }
    const body = chooseResponseBody({
      versionMinor: this.#versionMinor,
      code,
      contentLength,
      more: p.more,
      bodyLength: p.body.length,
    });
    if (body.kind === "close") this.persistent = false;
    this.#body = body;
    this.#remaining = body.kind === "length" ? body.length : 0;
    this.#discard = body.kind === "none" || this.#method === "HEAD";
    let headBytes: Uint8Array;
    try {
      headBytes = encodeResponseHead({
        versionMinor: this.#versionMinor,
        code,
        reason: p.reason ?? "",
        headers,
        persistent: this.persistent,
        body,
      });
    } catch (e) {
      // a header name or value that cannot be written (CR/LF, not a token): session error
      return (e as Error).message;
    }
    if (
      headBytes.length + (this.#discard ? 0 : p.body.length) > bufferSize
    ) {
      return "response head too large";
    }
    return this.body(p.body, !p.more, headBytes);
  }

  /** The bytes for `body` (`last`: the end of the response), after `prefix`. */
  body(
    body: Uint8Array,
    last: boolean,
    prefix: Uint8Array = EMPTY,
  ): Uint8Array {
    const kind = this.#body.kind;
    let payload = body;
    if (kind === "length" && payload.length > this.#remaining) {
      payload = payload.subarray(0, this.#remaining); // never write past the declared length
    }
    if (kind === "length") this.#remaining -= payload.length;
    let out: Uint8Array;
    if (this.#discard) {
      out = prefix;
    } else if (kind === "chunked") {
      const chunk = payload.length > 0 ? encodeChunk(payload) : EMPTY;
      const tail = last ? LAST_CHUNK : EMPTY;
      out = concat3(prefix, chunk, tail);
    } else {
      out = prefix.length === 0 ? payload : concat3(prefix, payload, EMPTY);
    }
    if (last) {
      this.#done = true;
      if (kind === "length" && this.#remaining > 0 && !this.#discard) {
        this.persistent = false; // the handler sent less than it announced
      }
    }
    return out;
  }
}

/**
 * A whole req-mode response (reference §9): the head, with the `Content-Length` of the handler
 * body, and the body (none for `HEAD` or a status without a body); or the detail of the error
 * when the head cannot be written (a header with CR/LF, a name that is not a token).
 *
 * @example
 * ```ts
 * import { encodeWholeResponse } from "./response_writer.ts";
 * const out = encodeWholeResponse({
 *   from: new Uint8Array(0), ids: [], type: "", multi: false, code: 200, reason: "OK",
 *   body: new TextEncoder().encode("hi"), more: false, credits: 0, hasBody: true,
 * }, { versionMinor: 1, method: "GET", persistent: true });
 * if (typeof out === "string" || out.length < 2) throw new Error();
 * ```
 */
export function encodeWholeResponse(
  p: InboundPacket,
  request: Pick<RequestHead, "versionMinor" | "method" | "persistent">,
): Uint8Array | string {
  const code = p.code ?? 0;
  const noBody = statusCodeHasNoBody(code);
  let headBytes: Uint8Array;
  try {
    headBytes = encodeResponseHead({
      versionMinor: request.versionMinor,
      code,
      reason: p.reason ?? "",
      headers: p.headers ?? [],
      persistent: request.persistent,
      body: noBody ? NO_BODY : { kind: "length", length: p.body.length },
    });
  } catch (e) {
    return (e as Error).message;
  }
  const body = noBody || request.method === "HEAD" ? EMPTY : p.body;
  return body.length > 0 ? concat3(headBytes, body, EMPTY) : headBytes;
}

function concat3(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a, 0);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}
