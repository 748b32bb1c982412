// Test helpers for the HTTP/1 codec tests.
import assert from "node:assert/strict";
import { HttpError, type RequestHead } from "../../src/http1/mod.ts";

/** Bytes of a string, one byte per char (latin1), so tests can hold any byte. */
export function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** A string with one char per byte. */
export function text(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** A RequestHead with byte fields turned into strings, for deepEqual. */
export function plain(h: RequestHead): Record<string, unknown> {
  return {
    ...h,
    headers: h.headers.map(([n, v]) => [text(n), text(v)]),
    host: h.host === undefined ? undefined : text(h.host),
  };
}

/** Asserts that `fn` throws an HttpError with `status`, returning it. */
export function assertHttpError(
  fn: () => unknown,
  status: number,
  what = "",
): HttpError {
  try {
    fn();
  } catch (e) {
    assert(e instanceof HttpError, `expected HttpError, got ${e}`);
    assert.equal(e.status, status, `${JSON.stringify(what)}: ${e.message}`);
    return e;
  }
  assert.fail(
    `${JSON.stringify(what)}: expected HttpError ${status}, nothing thrown`,
  );
}
