/**
 * The HTTP/1.x codec, pure and without I/O: an incremental request-head parser, a chunked
 * body decoder, and the response-head, chunk and error-response writers, following Condure
 * 1.9.1's observable behaviour (reference §6.2, §6.5) except for its defects (§19): malformed
 * requests raise {@linkcode HttpError} carrying the 4xx/501 status to answer with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeResponseHead, parseRequestHead } from "./mod.ts";
 * const req = new TextEncoder().encode("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
 * const head = parseRequestHead(req, { maxHeadSize: 8192 })!;
 * const out = encodeResponseHead({
 *   versionMinor: head.versionMinor, code: 200, reason: "OK", headers: [],
 *   persistent: head.persistent, body: { kind: "length", length: 0 },
 * });
 * assert(new TextDecoder().decode(out).includes("Connection: keep-alive\r\n"));
 * ```
 *
 * @module
 */

export { HttpError, type HttpErrorStatus } from "./error.ts";
export {
  type HeaderPair,
  HEADERS_MAX,
  parseRequestHead,
  type ParseRequestHeadOptions,
  type RequestBodyKind,
  type RequestHead,
  URI_SIZE_MAX,
} from "./request_head.ts";
export {
  findHeader,
  headerNameEquals,
  headerValueEquals,
  headerValueHasToken,
  parseContentLength,
} from "./headers.ts";
export {
  CHUNK_LINE_MAX,
  ChunkedDecoder,
  type ChunkedDecodeResult,
  TRAILER_SECTION_MAX,
} from "./chunked_decoder.ts";
export {
  chunkOverhead,
  encodeChunk,
  LAST_CHUNK,
  writeChunk,
} from "./chunk_encoder.ts";
export {
  chooseResponseBody,
  type ChooseResponseBodyOptions,
  encodeErrorResponse,
  encodeResponseHead,
  reasonPhrase,
  type ResponseBody,
  type ResponseHeadOptions,
  statusCodeHasNoBody,
} from "./response.ts";
