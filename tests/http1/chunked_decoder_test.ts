import assert from "node:assert/strict";
import {
  CHUNK_LINE_MAX,
  ChunkedDecoder,
  HttpError,
  TRAILER_SECTION_MAX,
} from "../../src/http1/mod.ts";
import { assertHttpError, bytes, text } from "./_util.ts";

interface Fed {
  body: string;
  rest: string;
  done: boolean;
  calls: number;
}

/**
 * Feeds `pieces` one after another the way a connection would: appends each to a pending
 * buffer, decodes until no progress, drops what was consumed.
 */
function feed(pieces: Uint8Array[], maxBytes = Infinity): Fed {
  const d = new ChunkedDecoder();
  let pending = new Uint8Array(0);
  let body = "";
  let calls = 0;
  for (const piece of pieces) {
    const next = new Uint8Array(pending.length + piece.length);
    next.set(pending);
    next.set(piece, pending.length);
    pending = next;
    while (!d.done) {
      const r = d.decode(pending, maxBytes);
      calls++;
      assert(r.data.length <= maxBytes);
      if (r.data.length > 0) {
        // data is a view into the input, not a copy
        assert.equal(r.data.buffer, pending.buffer);
      }
      body += text(r.data);
      pending = pending.subarray(r.consumed);
      assert.equal(r.done, d.done);
      if (r.consumed === 0) break;
    }
  }
  return { body, rest: text(pending), done: d.done, calls };
}

function splitAt(s: string, k: number): Uint8Array[] {
  return [bytes(s.slice(0, k)), bytes(s.slice(k))];
}

const SAMPLES: Array<[string, string]> = [
  ["5\r\nhello\r\n0\r\n\r\n", "hello"],
  ["5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"],
  ["A\r\n0123456789\r\n0\r\n\r\n", "0123456789"],
  ["a;name=value\r\n0123456789\r\n000\r\n\r\n", "0123456789"],
  ['3 ; ext ; q="a b"\r\nabc\r\n0;last\r\n\r\n', "abc"],
  ["4\r\nWiki\r\n0\r\nExpires: never\r\nX-Trailer: 1\r\n\r\n", "Wiki"],
  ["0\r\n\r\n", ""],
  ["0\r\nT: v\r\n\r\n", ""],
  ["00001\r\nx\r\n0\r\n\r\n", "x"],
];

Deno.test("ChunkedDecoder decodes bodies with extensions and trailers in one call", () => {
  for (const [input, body] of SAMPLES) {
    const d = new ChunkedDecoder();
    const all = bytes(input + "NEXT");
    let out = "";
    let pos = 0;
    while (!d.done) {
      const r = d.decode(all.subarray(pos));
      out += text(r.data);
      pos += r.consumed;
    }
    assert.equal(out, body, input);
    assert.equal(pos, input.length, "consumed stops at the next request");
    assert.equal(d.decode(all.subarray(pos)).consumed, 0, "nothing after done");
  }
});

Deno.test("ChunkedDecoder reports done in the call that returns the last data when framing follows", () => {
  const r = new ChunkedDecoder().decode(bytes("5\r\nhello\r\n0\r\n\r\n"));
  assert.deepEqual([text(r.data), r.consumed, r.done], ["hello", 15, true]);
  const r2 = new ChunkedDecoder().decode(
    bytes("2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"),
  );
  assert.deepEqual([text(r2.data), r2.consumed, r2.done], ["ab", 10, false]);
});

Deno.test("ChunkedDecoder gives the same body for input split at every byte", () => {
  for (const [input, body] of SAMPLES) {
    const s = input + "GET / HTTP/1.1\r\n";
    for (let k = 0; k <= s.length; k++) {
      const fed = feed(splitAt(s, k));
      assert.deepEqual(
        [fed.body, fed.rest, fed.done],
        [body, "GET / HTTP/1.1\r\n", true],
        `${JSON.stringify(input)} split at ${k}`,
      );
    }
    const byteByByte = feed([...bytes(s)].map((b) => Uint8Array.of(b)));
    assert.deepEqual([byteByByte.body, byteByByte.done], [body, true]);
  }
});

Deno.test("ChunkedDecoder stops at maxBytes and resumes", () => {
  const input = "14\r\n0123456789abcdefghij\r\n0\r\n\r\n";
  const d = new ChunkedDecoder();
  let buf = bytes(input);
  const r1 = d.decode(buf, 5);
  assert.deepEqual([text(r1.data), r1.consumed, r1.done], ["01234", 9, false]);
  buf = buf.subarray(r1.consumed);
  const r0 = d.decode(buf, 0);
  assert.deepEqual([r0.data.length, r0.consumed, r0.done], [0, 0, false]);
  const r2 = d.decode(buf, 100);
  assert.deepEqual([text(r2.data), r2.done], ["56789abcdefghij", true]);
  assert.equal(r2.consumed, buf.length);
  for (let max = 1; max <= 21; max++) {
    for (let k = 0; k <= input.length; k++) {
      const fed = feed(splitAt(input, k), max);
      assert.deepEqual(
        [fed.body, fed.done],
        ["0123456789abcdefghij", true],
        `max ${max} k ${k}`,
      );
    }
  }
});

Deno.test("ChunkedDecoder with maxBytes 0 consumes framing up to the data and the whole empty body", () => {
  const d = new ChunkedDecoder();
  const r = d.decode(bytes("5;x\r\nhello"), 0);
  assert.deepEqual([r.consumed, r.data.length, r.done], [5, 0, false]);
  const e = new ChunkedDecoder().decode(bytes("0\r\n\r\n"), 0);
  assert.deepEqual([e.consumed, e.done], [5, true]);
});

Deno.test("ChunkedDecoder accepts a large chunk size and uppercase hex", () => {
  const d = new ChunkedDecoder();
  const r = d.decode(bytes("FFFFFFFF\r\nab"));
  assert.equal(text(r.data), "ab");
  assert.equal(r.consumed, 12);
  const big = new ChunkedDecoder().decode(bytes("1FFFFFFFFFFFFF\r\n"));
  assert.equal(big.consumed, 16);
});

Deno.test("ChunkedDecoder refuses malformed framing with 400", () => {
  const cases = [
    "\r\n",
    "x\r\n",
    "-1\r\n",
    " 5\r\nhello\r\n0\r\n\r\n",
    "5\nhello\r\n0\r\n\r\n",
    "5\r\rhello",
    "5 x\r\nhello\r\n0\r\n\r\n",
    "5;a\x00b\r\nhello\r\n",
    "5;a\nb\r\nhello\r\n",
    "5\r\nhelloX\r\n",
    "5\r\nhello\rX",
    "5\r\nhello\n",
    "5\r\nhello\r\n0\r\nBad\x01: x\r\n\r\n",
    "5\r\nhello\r\n0\r\nT: v\n\r\n",
    "5\r\nhello\r\n0\r\n\rx",
    "5\r\nhello\r\n0\n\r\n",
    "20000000000000\r\n",
    "1" + "0".repeat(14) + "\r\n",
  ];
  for (const input of cases) {
    assertHttpError(() => feed([bytes(input)]), 400, input);
    // Also when fed one byte at a time.
    assertHttpError(
      () => feed([...bytes(input)].map((b) => Uint8Array.of(b))),
      400,
      input,
    );
  }
});

Deno.test("ChunkedDecoder bounds the chunk-size line and the trailer section", () => {
  const ext = (n: number) => "5;" + "e".repeat(n - 4) + "\r\n";
  assert.equal(ext(CHUNK_LINE_MAX).length, CHUNK_LINE_MAX);
  assert.equal(
    feed([bytes(ext(CHUNK_LINE_MAX) + "hello\r\n0\r\n\r\n")]).body,
    "hello",
  );
  assertHttpError(
    () => feed([bytes(ext(CHUNK_LINE_MAX + 1) + "hello\r\n0\r\n\r\n")]),
    400,
  );
  const zeros = "0".repeat(CHUNK_LINE_MAX + 1) + "\r\n\r\n";
  assertHttpError(() => feed([bytes(zeros)]), 400);

  const trailers = (n: number) => "T: " + "v".repeat(n - 7) + "\r\n\r\n";
  assert.equal(trailers(TRAILER_SECTION_MAX).length, TRAILER_SECTION_MAX);
  assert.equal(
    feed([bytes("0\r\n" + trailers(TRAILER_SECTION_MAX))]).done,
    true,
  );
  assertHttpError(
    () => feed([bytes("0\r\n" + trailers(TRAILER_SECTION_MAX + 1))]),
    400,
  );
});

Deno.test("ChunkedDecoder errors are HttpError instances with a message", () => {
  try {
    new ChunkedDecoder().decode(bytes("z"));
    assert.fail("no throw");
  } catch (e) {
    assert(e instanceof HttpError);
    assert.equal(e.message, "Failed to parse request: invalid chunk size");
  }
});
