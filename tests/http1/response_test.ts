import assert from "node:assert/strict";
import {
  chooseResponseBody,
  chunkOverhead,
  encodeChunk,
  encodeErrorResponse,
  encodeResponseHead,
  findHeader,
  headerNameEquals,
  headerValueEquals,
  headerValueHasToken,
  LAST_CHUNK,
  parseContentLength,
  reasonPhrase,
  type ResponseHeadOptions,
  statusCodeHasNoBody,
  writeChunk,
} from "../../src/http1/mod.ts";
import { bytes, text } from "./_util.ts";

function hdrs(
  ...pairs: Array<[string, string]>
): Array<[Uint8Array, Uint8Array]> {
  return pairs.map(([n, v]) => [bytes(n), bytes(v)]);
}

function head(o: Partial<ResponseHeadOptions>): string {
  return text(encodeResponseHead({
    versionMinor: 1,
    code: 200,
    reason: "OK",
    headers: [],
    persistent: true,
    body: { kind: "none" },
    ...o,
  }));
}

const TEXT_PLAIN = hdrs(["Content-Type", "text/plain"]);

Deno.test("encodeResponseHead() writes a known length (§17 item 8)", () => {
  const body = chooseResponseBody({
    versionMinor: 1,
    code: 200,
    contentLength: undefined,
    more: false,
    bodyLength: 6,
  });
  assert.equal(
    head({ headers: TEXT_PLAIN, body }),
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n",
  );
});

Deno.test("encodeResponseHead() writes Condure's chunked headers and chunks (§17 item 9, §6.14)", () => {
  const body = chooseResponseBody({
    versionMinor: 1,
    code: 200,
    contentLength: undefined,
    more: true,
    bodyLength: 5,
  });
  assert.deepEqual(body, { kind: "chunked" });
  assert.equal(
    head({ headers: TEXT_PLAIN, body }),
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: Transfer-Encoding\r\n" +
      "Transfer-Encoding: chunked\r\n\r\n",
  );
  assert.equal(text(encodeChunk(bytes("part1"))), "5\r\npart1\r\n");
  const big = "p".repeat(5005);
  assert.equal(text(encodeChunk(bytes(big))), `138d\r\n${big}\r\n`);
  assert.equal(text(LAST_CHUNK), "0\r\n\r\n");
});

Deno.test("encodeResponseHead() trusts the handler's Content-Length with more (§17 item 10)", () => {
  const contentLength = parseContentLength(bytes("5"));
  const body = chooseResponseBody({
    versionMinor: 1,
    code: 200,
    contentLength,
    more: true,
    bodyLength: 3,
  });
  assert.equal(
    head({ headers: hdrs(["Content-Length", "5"]), body }),
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
  );
});

Deno.test("encodeResponseHead() streams raw for HTTP/1.0 (§17 item 18)", () => {
  const body = chooseResponseBody({
    versionMinor: 0,
    code: 200,
    contentLength: undefined,
    more: true,
    bodyLength: 5,
  });
  assert.deepEqual(body, { kind: "close" });
  assert.equal(
    head({ versionMinor: 0, persistent: false, headers: TEXT_PLAIN, body }),
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n",
  );
});

Deno.test("encodeResponseHead() adds keep-alive for a persistent HTTP/1.0 exchange (§17 item 19)", () => {
  assert.equal(
    head({
      versionMinor: 0,
      persistent: true,
      headers: TEXT_PLAIN,
      body: { kind: "length", length: 6 },
    }),
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n" +
      "Content-Length: 6\r\n\r\n",
  );
});

Deno.test("encodeResponseHead() drops the handler's framing headers and closes (§17 item 20)", () => {
  const headers = hdrs(
    ["X-A", "1"],
    ["connection", "keep-alive"],
    ["TRANSFER-ENCODING", "chunked"],
    ["Content-Length", "3"],
    ["X-B", "2"],
  );
  assert.equal(
    head({ persistent: false, headers, body: { kind: "length", length: 3 } }),
    "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-B: 2\r\nConnection: close\r\nContent-Length: 3\r\n\r\n",
  );
});

Deno.test("encodeResponseHead() writes no length for 204/304 (§17 item 21)", () => {
  for (
    const [code, reason] of [[204, "No Content"], [
      304,
      "Not Modified",
    ]] as const
  ) {
    const body = chooseResponseBody({
      versionMinor: 1,
      code,
      contentLength: 5,
      more: false,
      bodyLength: 5,
    });
    assert.deepEqual(body, { kind: "none" });
    assert.equal(
      head({
        code,
        reason,
        headers: hdrs(["Content-Length", "5"], ["ETag", "x"]),
        body,
      }),
      `HTTP/1.1 ${code} ${reason}\r\nETag: x\r\n\r\n`,
    );
  }
});

Deno.test("encodeResponseHead() writes the handler's length for a HEAD response (§17 item 22)", () => {
  const body = chooseResponseBody({
    versionMinor: 1,
    code: 200,
    contentLength: 10,
    more: false,
    bodyLength: 0,
  });
  assert.equal(
    head({ headers: hdrs(["Content-Length", "10"]), body }),
    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
  );
});

Deno.test("encodeResponseHead() covers every §6.5 Connection/framing combination", () => {
  const cases: Array<[0 | 1, boolean, ResponseHeadOptions["body"], string]> = [
    [1, true, { kind: "none" }, ""],
    [1, false, { kind: "none" }, "Connection: close\r\n"],
    [1, true, { kind: "length", length: 0 }, "Content-Length: 0\r\n"],
    [
      1,
      false,
      { kind: "length", length: 7 },
      "Connection: close\r\nContent-Length: 7\r\n",
    ],
    [
      1,
      true,
      { kind: "chunked" },
      "Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n",
    ],
    [
      1,
      false,
      { kind: "chunked" },
      "Connection: close\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n",
    ],
    [1, false, { kind: "close" }, "Connection: close\r\n"],
    [0, true, { kind: "none" }, "Connection: keep-alive\r\n"],
    [0, false, { kind: "none" }, ""],
    [
      0,
      true,
      { kind: "length", length: 2 },
      "Connection: keep-alive\r\nContent-Length: 2\r\n",
    ],
    [0, false, { kind: "length", length: 2 }, "Content-Length: 2\r\n"],
    [0, false, { kind: "close" }, ""],
    [0, true, { kind: "close" }, "Connection: keep-alive\r\n"],
  ];
  for (const [versionMinor, persistent, body, added] of cases) {
    assert.equal(
      head({ versionMinor, persistent, body }),
      `HTTP/1.${versionMinor} 200 OK\r\n${added}\r\n`,
      JSON.stringify({ versionMinor, persistent, body }),
    );
  }
});

Deno.test("encodeResponseHead() keeps the handler's Connection header only for 101", () => {
  const headers = hdrs(["Connection", "Upgrade"], ["Upgrade", "x"]);
  assert.equal(
    head({ code: 101, reason: "Switching Protocols", headers }),
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n",
  );
  assert.equal(
    head({ code: 200, headers }),
    "HTTP/1.1 200 OK\r\nUpgrade: x\r\n\r\n",
  );
});

Deno.test("encodeResponseHead() writes code and reason verbatim", () => {
  assert.equal(head({ code: 0, reason: "" }), "HTTP/1.1 0 \r\n\r\n");
  assert.equal(
    head({ code: 599, reason: "Whatever Here" }),
    "HTTP/1.1 599 Whatever Here\r\n\r\n",
  );
  const utf8 = encodeResponseHead({
    versionMinor: 1,
    code: 200,
    reason: "Ça va",
    headers: [],
    persistent: true,
    body: { kind: "none" },
  });
  assert.deepEqual([...utf8.subarray(13, 19)], [
    0xc3,
    0x87,
    0x61,
    0x20,
    0x76,
    0x61,
  ]);
  assert.equal(
    head({ headers: hdrs(["X-Bin", "\x80\xff\t ok"]) }),
    "HTTP/1.1 200 OK\r\nX-Bin: \x80\xff\t ok\r\n\r\n",
  );
});

Deno.test("encodeResponseHead() refuses what would break the framing", () => {
  assert.throws(() => head({ reason: "OK\r\nX: y" }), TypeError);
  assert.throws(() => head({ headers: hdrs(["X", "a\r\nY: b"]) }), TypeError);
  assert.throws(() => head({ headers: hdrs(["X", "a\nb"]) }), TypeError);
  assert.throws(() => head({ headers: hdrs(["X Y", "a"]) }), TypeError);
  assert.throws(() => head({ headers: hdrs(["", "a"]) }), TypeError);
  assert.throws(() => head({ headers: hdrs(["X:", "a"]) }), TypeError);
  assert.throws(
    () => head({ versionMinor: 0, body: { kind: "chunked" } }),
    RangeError,
  );
  assert.throws(
    () => head({ body: { kind: "length", length: -1 } }),
    RangeError,
  );
  assert.throws(
    () => head({ body: { kind: "length", length: 1.5 } }),
    RangeError,
  );
  assert.throws(() => head({ code: 70000 }), RangeError);
  // Dropped headers are not checked: they are never written.
  assert.equal(
    head({ headers: hdrs(["Content-Length", "\r\n"]) }),
    "HTTP/1.1 200 OK\r\n\r\n",
  );
});

Deno.test("encodeErrorResponse() matches Pushpin connmgr's error format", () => {
  assert.equal(
    text(
      encodeErrorResponse(400, "Failed to parse request: invalid header name"),
    ),
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n" +
      "Content-Length: 45\r\n\r\nFailed to parse request: invalid header name\n",
  );
  assert.equal(
    text(
      encodeErrorResponse(
        431,
        "Request header size exceeded limit of 8192 bytes.",
      ),
    ),
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n" +
      "Connection: close\r\nContent-Length: 50\r\n\r\n" +
      "Request header size exceeded limit of 8192 bytes.\n",
  );
  for (const s of [413, 414, 500, 501]) {
    assert.match(
      text(encodeErrorResponse(s, "x")),
      new RegExp(`^HTTP/1.1 ${s} [A-Z]`),
    );
  }
  assert.equal(reasonPhrase(414), "URI Too Long");
  assert.equal(reasonPhrase(299), "Error");
});

Deno.test("statusCodeHasNoBody() is true for 1xx, 204 and 304 only", () => {
  const none = [100, 101, 102, 103, 150, 199, 204, 304];
  for (const c of none) assert.equal(statusCodeHasNoBody(c), true, String(c));
  for (const c of [0, 99, 200, 201, 205, 206, 300, 303, 305, 400, 500]) {
    assert.equal(statusCodeHasNoBody(c), false, String(c));
  }
});

Deno.test("writeChunk() frames into a buffer and refuses one that is too small", () => {
  const out = new Uint8Array(24).fill(0x2e);
  const n = writeChunk(bytes("0123456789abcdef"), out, 1);
  assert.equal(n, 22);
  assert.equal(text(out), ".10\r\n0123456789abcdef\r\n.");
  assert.throws(
    () => writeChunk(bytes("x".repeat(16)), new Uint8Array(23), 2),
    RangeError,
  );
  assert.equal(writeChunk(bytes("x".repeat(16)), new Uint8Array(24), 2), 22);
  assert.equal(writeChunk(new Uint8Array(0), new Uint8Array(0), 0), 0);
  assert.equal(encodeChunk(new Uint8Array(0)).length, 0);
  assert.equal(chunkOverhead(0xffff), 8);
  assert.equal(chunkOverhead(0x10000), 9);
});

Deno.test("parseContentLength() takes digits only, up to MAX_SAFE_INTEGER", () => {
  assert.equal(parseContentLength(bytes("0")), 0);
  assert.equal(parseContentLength(bytes("0012")), 12);
  assert.equal(
    parseContentLength(bytes("9007199254740991")),
    Number.MAX_SAFE_INTEGER,
  );
  for (
    const bad of [
      "",
      " 1",
      "1 ",
      "+1",
      "-1",
      "1e3",
      "0x1",
      "9007199254740992",
      "1,1",
    ]
  ) {
    assert.throws(() => parseContentLength(bytes(bad)), SyntaxError, bad);
  }
});

Deno.test("header helpers compare names ignoring case and values exactly", () => {
  assert(headerNameEquals(bytes("CONTENT-length"), "content-length"));
  assert(!headerNameEquals(bytes("Content-Lengthx"), "content-length"));
  assert(!headerNameEquals(bytes("Content_Length"), "content-length"));
  assert(headerValueEquals(bytes("websocket"), "websocket"));
  assert(!headerValueEquals(bytes("WebSocket"), "websocket"));
  assert(headerValueHasToken(bytes("keep-alive , Upgrade"), "upgrade"));
  assert(!headerValueHasToken(bytes("upgraded"), "upgrade"));
  const h = hdrs(["A", "1"], ["sec-websocket-version", "13"], [
    "Sec-WebSocket-Version",
    "8",
  ]);
  assert.equal(text(findHeader(h, "sec-websocket-version")!), "13");
  assert.equal(findHeader(h, "b"), undefined);
});

Deno.test("encodeResponseHead() matches response heads captured from the real Condure 1.9.1", () => {
  // Captured on loopback with /usr/bin/condure 1.9.1 and a pyzmq handler.
  const ct = hdrs(["Content-Type", "text/plain"]);
  const cases: Array<[Partial<ResponseHeadOptions>, string]> = [
    [
      {
        versionMinor: 0,
        persistent: true,
        headers: ct,
        body: { kind: "length", length: 6 },
      },
      "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nContent-Length: 6\r\n\r\n",
    ],
    [
      {
        persistent: false,
        headers: hdrs(
          ["X-A", "1"],
          ["Connection", "keep-alive"],
          ["Transfer-Encoding", "chunked"],
          ["Content-Length", "3"],
        ),
        body: { kind: "length", length: 3 },
      },
      "HTTP/1.1 200 OK\r\nX-A: 1\r\nConnection: close\r\nContent-Length: 3\r\n\r\n",
    ],
    [
      {
        versionMinor: 0,
        persistent: false,
        headers: ct,
        body: { kind: "close" },
      },
      "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n",
    ],
    [
      { persistent: false, body: { kind: "chunked" } },
      "HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: Transfer-Encoding\r\n" +
      "Transfer-Encoding: chunked\r\n\r\n",
    ],
    [
      {
        code: 204,
        reason: "No Content",
        headers: hdrs(["Content-Length", "5"]),
      },
      "HTTP/1.1 204 No Content\r\n\r\n",
    ],
    [
      {
        versionMinor: 0,
        persistent: false,
        code: 404,
        reason: "Not Found",
        body: { kind: "length", length: 0 },
      },
      "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    ],
  ];
  for (const [o, expected] of cases) assert.equal(head(o), expected);
});
