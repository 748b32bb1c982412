/** HTTP statuses a malformed or unacceptable request is answered with. */
export type HttpErrorStatus = 400 | 413 | 414 | 431 | 501;

/**
 * A request the codec refuses, carrying the HTTP status to answer with before closing the
 * connection (Condure 1.9.1 closes silently; the RFCs and Pushpin's connmgr answer).
 * The message is the human-readable text for the response body, in Pushpin's wording where
 * Pushpin has one (e.g. "Failed to parse request: invalid header name").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpError } from "./error.ts";
 * const e = new HttpError(400, "Failed to parse request: invalid token");
 * assert(e.status === 400 && e.name === "HttpError");
 * ```
 */
export class HttpError extends Error {
  /** The response status: 400, 413, 414, 431 or 501. */
  readonly status: HttpErrorStatus;

  /** Creates an error with `status` and the human-readable `message`. */
  constructor(status: HttpErrorStatus, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}
