import assert from "node:assert/strict";
import {
  HEADERS_MAX,
  HttpError,
  parseRequestHead,
  type RequestHead,
  URI_SIZE_MAX,
} from "../../src/http1/mod.ts";
import { assertHttpError, bytes, plain, text } from "./_util.ts";

const opts = { maxHeadSize: 8192 };

function parse(s: string | Uint8Array, maxHeadSize = 8192): RequestHead | null {
  return parseRequestHead(typeof s === "string" ? bytes(s) : s, {
    maxHeadSize,
  });
}

function head(s: string): RequestHead {
  const h = parse(s);
  assert(h !== null, "expected a complete head");
  return h;
}

const CURL =
  "GET /p?x=1 HTTP/1.1\r\nHost: a:81\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

Deno.test("parseRequestHead() parses a curl-like GET", () => {
  assert.deepEqual(plain(head(CURL)), {
    method: "GET",
    target: "/p?x=1",
    versionMinor: 1,
    headers: [["Host", "a:81"], ["User-Agent", "curl/8.5.0"], [
      "Accept",
      "*/*",
    ]],
    bodyKind: "none",
    contentLength: 0,
    persistent: true,
    expectContinue: false,
    host: "a:81",
    websocket: false,
    headSize: CURL.length,
  });
});

Deno.test("parseRequestHead() returns header views into the input buffer", () => {
  const buf = bytes("xx" + CURL).subarray(2);
  const h = parseRequestHead(buf, opts)!;
  const [name, value] = h.headers[0]!;
  assert.equal(name.buffer, buf.buffer);
  assert.equal(name.byteOffset, buf.byteOffset + 21);
  assert.equal(value.byteOffset, buf.byteOffset + 27);
  assert.equal(h.host, value);
});

Deno.test("parseRequestHead() keeps header order, case, duplicates and trims OWS", () => {
  const h = head(
    "POST /x HTTP/1.1\r\nX-A: 1\r\nx-a:2\r\nEMPTY:\r\nSp: \t a  b \t\r\nhost: h\r\n\r\n",
  );
  assert.deepEqual(plain(h).headers, [
    ["X-A", "1"],
    ["x-a", "2"],
    ["EMPTY", ""],
    ["Sp", "a  b"],
    ["host", "h"],
  ]);
  assert.equal(text(h.host!), "h");
  assert.equal(h.method, "POST");
});

Deno.test("parseRequestHead() accepts any token method and obs-text in target and values", () => {
  const h = head("M-SEARCH /\x80\xff?a=%20 HTTP/1.0\r\nX: caf\xe9\r\n\r\n");
  assert.equal(h.method, "M-SEARCH");
  assert.equal(h.target, "/\x80\xff?a=%20");
  assert.equal(text(h.headers[0]![1]), "caf\xe9");
  assert.equal(h.versionMinor, 0);
  assert.equal(head("OPTIONS * HTTP/1.1\r\n\r\n").target, "*");
  assert.equal(head("CONNECT a:443 HTTP/1.1\r\n\r\n").target, "a:443");
});

Deno.test("parseRequestHead() skips leading empty lines", () => {
  const h = head("\r\n\r\nGET / HTTP/1.1\r\n\r\n");
  assert.equal(h.method, "GET");
  assert.equal(h.headSize, 22);
  assert.equal(parse("\r\n"), null);
  assert.equal(parse("\r\n\r\n"), null);
  assert.equal(parse("\r\n\r\nGE"), null);
});

Deno.test("parseRequestHead() returns null until complete and the same head after, at every split", () => {
  const inputs = [
    CURL,
    "\r\nPOST /u HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
    "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n",
  ];
  for (const input of inputs) {
    const all = bytes(input);
    const full = parseRequestHead(all, opts)!;
    const expected = plain(full);
    for (let k = 0; k <= all.length; k++) {
      // A fresh copy each time: nothing may be remembered between calls.
      const got = parseRequestHead(all.slice(0, k), opts);
      if (k < full.headSize) {
        assert.equal(got, null, `prefix ${k} of ${JSON.stringify(input)}`);
      } else assert.deepEqual(plain(got!), expected, `prefix ${k}`);
    }
  }
});

Deno.test("parseRequestHead() reports headSize at the next pipelined request", () => {
  const two = bytes(
    "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\nGE",
  );
  const first = parseRequestHead(two, opts)!;
  assert.equal(first.target, "/1");
  const rest = two.subarray(first.headSize);
  const second = parseRequestHead(rest, opts)!;
  assert.equal(second.target, "/2");
  assert.equal(text(second.host!), "b");
  assert.equal(parseRequestHead(rest.subarray(second.headSize), opts), null);
});

Deno.test("parseRequestHead() decides body framing", () => {
  const cases: Array<[string, string, number]> = [
    ["", "none", 0],
    ["Content-Length: 0\r\n", "length", 0],
    ["Content-Length: 20\r\n", "length", 20],
    ["content-length:  007 \r\n", "length", 7],
    ["Content-Length: 5\r\nContent-Length: 5\r\n", "length", 5],
    ["Content-Length: 5, 5\r\n", "length", 5],
    ["Content-Length: 9007199254740991\r\n", "length", 9007199254740991],
    ["Transfer-Encoding: chunked\r\n", "chunked", 0],
    ["Transfer-Encoding: Chunked\r\n", "chunked", 0],
    ["TRANSFER-ENCODING: CHUNKED\r\n", "chunked", 0],
    ["Transfer-Encoding: , chunked ,\r\n", "chunked", 0],
  ];
  for (const [headers, kind, length] of cases) {
    const h = head(`POST / HTTP/1.1\r\n${headers}\r\n`);
    assert.equal(h.bodyKind, kind, headers);
    assert.equal(h.contentLength, length, headers);
  }
});

Deno.test("parseRequestHead() decides persistence (Connection tokens ignoring case)", () => {
  const cases: Array<[string, string, boolean]> = [
    ["1.1", "", true],
    ["1.1", "Connection: close\r\n", false],
    ["1.1", "Connection: Close\r\n", false],
    ["1.1", "Connection: keep-alive, CLOSE\r\n", false],
    ["1.1", "Connection: x\r\nConnection: close\r\n", false],
    ["1.1", "Connection: closed\r\n", true],
    ["1.1", "Connection: Upgrade\r\n", true],
    ["1.0", "", false],
    ["1.0", "Connection: keep-alive\r\n", true],
    ["1.0", "Connection: Keep-Alive\r\n", true],
    ["1.0", "Connection: keep-alive, close\r\n", false],
    ["1.0", "Connection: close\r\n", false],
  ];
  for (const [v, headers, persistent] of cases) {
    assert.equal(
      head(`GET / HTTP/${v}\r\n${headers}\r\n`).persistent,
      persistent,
      v + headers,
    );
  }
});

Deno.test("parseRequestHead() honours Expect: 100-continue only for HTTP/1.1 with a body", () => {
  const cases: Array<[string, string, boolean]> = [
    ["1.1", "Content-Length: 5\r\nExpect: 100-continue\r\n", true],
    ["1.1", "Content-Length: 0\r\nExpect: 100-Continue\r\n", true],
    ["1.1", "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n", true],
    ["1.1", "Expect: 100-continue\r\n", false],
    ["1.0", "Content-Length: 5\r\nExpect: 100-continue\r\n", false],
    ["1.1", "Content-Length: 5\r\nExpect: 200-ok\r\n", false],
  ];
  for (const [v, headers, expect] of cases) {
    assert.equal(
      head(`POST / HTTP/${v}\r\n${headers}\r\n`).expectContinue,
      expect,
      v + headers,
    );
  }
});

Deno.test("parseRequestHead() detects WebSocket like Condure (name any case, value exact)", () => {
  const cases: Array<[string, boolean]> = [
    ["Upgrade: websocket\r\n", true],
    ["upgrade: websocket \r\n", true],
    ["UPGRADE:websocket\r\n", true],
    ["Upgrade: WebSocket\r\n", false],
    ["Upgrade: websocket, h2c\r\n", false],
    ["Upgrade: h2c\r\nUpgrade: websocket\r\n", true],
    ["X-Upgrade: websocket\r\n", false],
    ["", false],
  ];
  for (const [headers, websocket] of cases) {
    assert.equal(
      head(`GET / HTTP/1.1\r\n${headers}\r\n`).websocket,
      websocket,
      headers,
    );
  }
});

Deno.test("parseRequestHead() leaves host undefined without a Host header", () => {
  assert.equal(head("GET / HTTP/1.1\r\n\r\n").host, undefined);
});

Deno.test("parseRequestHead() accepts exactly HEADERS_MAX headers and refuses one more with 431", () => {
  const lines = (n: number) =>
    Array.from({ length: n }, (_, i) => `H${i}: v\r\n`).join("");
  assert.equal(
    head(`GET / HTTP/1.1\r\n${lines(HEADERS_MAX)}\r\n`).headers.length,
    64,
  );
  assertHttpError(
    () => parse(`GET / HTTP/1.1\r\n${lines(HEADERS_MAX + 1)}\r\n`),
    431,
  );
});

Deno.test("parseRequestHead() accepts a URI_SIZE_MAX target and refuses one more byte with 414", () => {
  const target = (n: number) => "/" + "a".repeat(n - 1);
  assert.equal(
    head(`GET ${target(URI_SIZE_MAX)} HTTP/1.1\r\n\r\n`).target.length,
    4096,
  );
  assertHttpError(
    () => parse(`GET ${target(URI_SIZE_MAX + 1)} HTTP/1.1\r\n\r\n`),
    414,
  );
  // Known as soon as the target is too long, before the head is complete.
  assertHttpError(() => parse(`GET ${target(URI_SIZE_MAX + 1)}`), 414);
  assert.equal(parse(`GET ${target(URI_SIZE_MAX)}`), null);
});

Deno.test("parseRequestHead() enforces maxHeadSize exactly", () => {
  const h = "GET / HTTP/1.1\r\nX: " + "a".repeat(100) + "\r\n\r\n";
  assert.equal(parse(h, h.length)?.headSize, h.length);
  assert.equal(parse(h + "body", h.length)?.headSize, h.length);
  const e = assertHttpError(() => parse(h, h.length - 1), 431);
  assert.equal(
    e.message,
    `Request header size exceeded limit of ${h.length - 1} bytes.`,
  );
  assert.equal(parse(h.slice(0, -1), h.length), null);
  assertHttpError(() => parse(h.slice(0, -1), h.length - 1), 431);
  assertHttpError(
    () => parse("GET / HTTP/1.1\r\n" + "X: y\r\n".repeat(2000)),
    431,
  );
});

Deno.test("parseRequestHead() refuses malformed requests with the right status", () => {
  const cases: Array<[string, number]> = [
    // request line
    [" GET / HTTP/1.1\r\n\r\n", 400],
    ["GET  / HTTP/1.1\r\n\r\n", 400],
    ["GET / HTTP/1.1 \r\n\r\n", 400],
    ["GET /  HTTP/1.1\r\n\r\n", 400],
    ["GET / HTTP/1.2\r\n\r\n", 400],
    ["GET / HTTP/2.0\r\n\r\n", 400],
    ["GET / http/1.1\r\n\r\n", 400],
    ["GET / HTTP/1.1x\r\n\r\n", 400],
    ["GET /\r\n\r\n", 400],
    ["GET\r\n\r\n", 400],
    ["G(T / HTTP/1.1\r\n\r\n", 400],
    ["GET /a\x7fb HTTP/1.1\r\n\r\n", 400],
    ["GET /a\x00b HTTP/1.1\r\n\r\n", 400],
    ["GET /a\tb HTTP/1.1\r\n\r\n", 400],
    ["GET / HTTP/1.1\n\r\n", 400],
    ["GET / HTTP/1.1\r\r\n\r\n", 400],
    ["\nGET / HTTP/1.1\r\n\r\n", 400],
    ["\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400],
    // header fields
    ["GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\n: a\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nBad@Name: a\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\n X: a\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nX: a\x7fb\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nX: a\x1bb\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nX: a\n\n", 400],
    ["GET / HTTP/1.1\r\n\r\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    // body framing
    ["POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length: ,\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 9007199254740992\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", 400],
    [
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      400,
    ],
    [
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
      400,
    ],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", 400],
    ["POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501],
    [
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
      501,
    ],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", 501],
  ];
  for (const [input, status] of cases) {
    const e = assertHttpError(() => parse(input), status, input);
    assert(e.message.length > 0);
    // Every prefix either waits for more or fails with the same status.
    const all = bytes(input);
    for (let k = 0; k < all.length; k++) {
      try {
        parseRequestHead(all.subarray(0, k), opts);
      } catch (e) {
        assert(e instanceof HttpError);
        assert.equal(
          e.status,
          status,
          `prefix ${k} of ${JSON.stringify(input)}`,
        );
      }
    }
  }
});

Deno.test("parseRequestHead() words errors like Pushpin's connmgr", () => {
  assert.equal(
    assertHttpError(() => parse("GET / HTTP/1.1\r\nA b: c\r\n\r\n"), 400)
      .message,
    "Failed to parse request: invalid header name",
  );
  assert.equal(
    assertHttpError(() => parse("GET / HTTP/9.9\r\n\r\n"), 400).message,
    "Failed to parse request: invalid HTTP version",
  );
  assert.equal(
    assertHttpError(() => parse("G@T / HTTP/1.1\r\n\r\n"), 400).message,
    "Failed to parse request: invalid token",
  );
});
