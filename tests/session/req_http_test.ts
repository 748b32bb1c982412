import assert from "node:assert/strict";
import {
  DRAIN_BYTES_MAX,
  ReqHttpConnection,
  type ReqSessionHost,
} from "../../src/session/req_http.ts";
import {
  dec,
  decodePayload,
  enc,
  FakeHost,
  FakeIo,
  type Flushable,
  packet,
  payloadKeys,
} from "./_fakes.ts";

class FakeReqHost extends FakeHost implements ReqSessionHost {
  readonly reqTimeoutMs: number;
  readonly bodyBufferSize: number;
  readonly raw: Uint8Array[] = [];
  constructor(
    options: {
      bufferSize?: number;
      reqTimeoutMs?: number;
      bodyBufferSize?: number;
    } = {},
  ) {
    super(
      options.bufferSize !== undefined
        ? { bufferSize: options.bufferSize }
        : {},
    );
    this.reqTimeoutMs = options.reqTimeoutMs ?? 30_000;
    this.bodyBufferSize = options.bodyBufferSize ?? 100_000;
  }
  sendReq(payload: Uint8Array): void {
    this.raw.push(payload);
  }
  get reqs(): Record<string, unknown>[] {
    return this.raw.map(decodePayload);
  }
}

interface Rig {
  host: FakeReqHost;
  io: FakeIo;
  conn: ReqHttpConnection;
  /** Feeds bytes the way the read loop does, honouring readTarget() sizes. */
  send(data: string | Uint8Array): void;
  reply(p: Parameters<typeof packet>[0]): void;
}

function rig(
  options: {
    bufferSize?: number;
    reqTimeoutMs?: number;
    bodyBufferSize?: number;
    peer?: { address?: string; port?: number };
  } = {},
): Rig {
  const host = new FakeReqHost(options);
  const io = new FakeIo();
  const conn = new ReqHttpConnection(host, io, {
    slot: 0,
    secure: false,
    peer: options.peer ?? { address: "127.0.0.1", port: 4321 },
  });
  io.session = conn as Flushable;
  conn.start();
  return {
    host,
    io,
    conn,
    send(data) {
      const bytes = typeof data === "string" ? latin1Bytes(data) : data;
      let off = 0;
      while (off < bytes.length && !conn.closed) {
        const target = conn.readTarget();
        const n = Math.min(target.length, bytes.length - off);
        if (n === 0) throw new Error("connection does not take more bytes");
        target.set(bytes.subarray(off, off + n));
        off += n;
        conn.onRead(n);
      }
    },
    reply(p) {
      conn.onPacket(
        packet({ ids: [{ id: enc(conn.id) }], from: "", ...p }),
        undefined,
      );
    },
  };
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const OK_HELLO = {
  code: 200,
  reason: "OK",
  headers: [[enc("Content-Type"), enc("text/plain")] as const],
  body: enc("hello\n"),
};
const HELLO_RESPONSE =
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";

Deno.test("ReqHttpConnection sends Condure's exact request packet bytes for a POST", () => {
  const r = rig({ peer: { address: "127.0.0.1", port: 46164 } });
  r.send(
    "POST /x?y=1 HTTP/1.1\r\nHost: ex:1\r\nContent-Length: 3\r\n\r\nabc",
  );
  // captured from condure 1.9.1 with a ,req listener
  assert.equal(
    dec(r.host.raw[0]!),
    "T200:2:id,5:0-0-0,3:ext,15:5:multi,4:true!}6:method,4:POST,3:uri,17:http://ex:1/x?y=1," +
      "7:headers,44:14:4:Host,4:ex:1,]22:14:Content-Length,1:3,]]4:body,3:abc," +
      "12:peer-address,9:127.0.0.1,9:peer-port,5:46164#}",
  );
});

Deno.test("ReqHttpConnection omits headers, body and peer fields when there are none", () => {
  const r = rig({ peer: {} });
  r.send("GET /2 HTTP/1.1\r\n\r\n");
  assert.deepEqual(payloadKeys(r.host.raw[0]!), [
    "id",
    "ext",
    "method",
    "uri",
  ]);
  assert.equal(r.host.reqs[0]!.uri, "http://localhost/2");
  assert.equal(r.host.pushed.length, 0, "nothing on the PUSH socket");
});

Deno.test("ReqHttpConnection uses https URIs on a TLS listener", () => {
  const host = new FakeReqHost();
  const io = new FakeIo();
  const conn = new ReqHttpConnection(host, io, {
    slot: 3,
    secure: true,
    peer: {},
  });
  conn.start();
  const req = enc("GET /s HTTP/1.1\r\nHost: h\r\n\r\n");
  conn.readTarget().set(req);
  conn.onRead(req.length);
  assert.deepEqual(
    [host.reqs[0]!.id, host.reqs[0]!.uri],
    ["0-3-0", "https://h/s"],
  );
});

Deno.test("ReqHttpConnection writes the response with Content-Length = body length, dropping framing headers", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  r.reply({
    code: 200,
    reason: "OK",
    headers: [
      [enc("Connection"), enc("close")],
      [enc("Content-Length"), enc("99")],
      [enc("Transfer-Encoding"), enc("chunked")],
      [enc("X-A"), enc("b")],
    ],
    body: enc("hi"),
    more: true,
  });
  assert.equal(
    r.io.take(),
    "HTTP/1.1 200 OK\r\nX-A: b\r\nContent-Length: 2\r\n\r\nhi",
  );
  r.io.flush();
  assert.equal(r.io.closed, false);
});

Deno.test("ReqHttpConnection writes a missing code as 0 and an empty reason", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.reply({ body: enc("xyz") });
  assert.equal(r.io.take(), "HTTP/1.1 0 \r\nContent-Length: 3\r\n\r\nxyz");
});

Deno.test("ReqHttpConnection ignores non-data packets and packets that arrive before the request", () => {
  const r = rig();
  r.reply({ code: 500, reason: "early" });
  r.send("GET / HTTP/1.1\r\n");
  r.reply({ code: 500, reason: "early" });
  r.send("\r\n");
  r.reply({ type: "keep-alive" });
  r.reply({ type: "credit", credits: 5 });
  r.reply({ type: "handoff-start" });
  r.reply({ type: "close" });
  assert.equal(r.io.take(), "");
  assert.equal(r.io.closed, false);
  r.reply(OK_HELLO);
  assert.equal(r.io.take(), HELLO_RESPONSE);
  r.reply({ code: 201, reason: "late" });
  assert.equal(r.io.take(), "", "only the first data packet counts");
});

Deno.test("ReqHttpConnection answers a handler error with a prompt 502 and closes", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.reply({ type: "error", condition: "bad-request" });
  const out = r.io.take();
  assert.match(out, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.match(out, /\r\nConnection: close\r\n/);
  assert.equal(r.io.closed, true);
  assert.equal(r.io.graceful, true);
});

Deno.test("ReqHttpConnection answers a handler cancel with a prompt 502 and closes", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.reply({ type: "cancel" });
  assert.match(r.io.take(), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.equal(r.io.closed, true);
});

Deno.test("ReqHttpConnection answers an unwritable handler response with 502", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.reply({ code: 200, reason: "OK", headers: [[enc("X"), enc("a\r\nb")]] });
  assert.match(r.io.take(), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.equal(r.io.closed, true);
});

Deno.test("ReqHttpConnection keeps the connection with a new id per request, one request at a time", () => {
  const r = rig();
  r.send("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
  assert.equal(r.host.raw.length, 1, "the pipelined request waits");
  assert.equal(r.conn.id, "0-0-0");
  r.reply(OK_HELLO);
  assert.equal(r.host.raw.length, 1, "not before the response is flushed");
  r.io.flush();
  assert.equal(r.host.raw.length, 2);
  assert.deepEqual(
    [r.host.reqs[1]!.id, r.host.reqs[1]!.uri],
    ["0-0-1", "http://localhost/2"],
  );
  assert.equal(r.host.sessions.has("0-0-0"), false, "old id unregistered");
  assert.equal(r.host.sessions.has("0-0-1"), true);
  r.reply(OK_HELLO);
  r.io.flush();
  assert.equal(r.io.take(), HELLO_RESPONSE + HELLO_RESPONSE);
  assert.equal(r.conn.id, "0-0-2");
  assert.equal(r.io.reading, true);
  r.send("GET /3 HTTP/1.1\r\n\r\n");
  assert.equal(r.host.reqs[2]!.id, "0-0-2");
});

Deno.test("ReqHttpConnection closes after an HTTP/1.0 response and keeps an HTTP/1.0 keep-alive one", () => {
  const a = rig();
  a.send("GET / HTTP/1.0\r\n\r\n");
  a.reply(OK_HELLO);
  assert.equal(a.io.take(), HELLO_RESPONSE.replace("HTTP/1.1", "HTTP/1.0"));
  a.io.flush();
  assert.equal(a.io.closed, true);

  const b = rig();
  b.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  b.reply(OK_HELLO);
  assert.equal(
    b.io.take(),
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nContent-Length: 6\r\n\r\nhello\n",
  );
  b.io.flush();
  assert.equal(b.io.closed, false);
});

Deno.test("ReqHttpConnection says Connection: close and closes when the request asked for it", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  r.reply(OK_HELLO);
  assert.equal(
    r.io.take(),
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 6\r\n\r\nhello\n",
  );
  assert.equal(r.io.closed, false, "not before the flush");
  r.io.flush();
  assert.equal(r.io.closed, true);
  assert.equal(r.io.graceful, true);
});

Deno.test("ReqHttpConnection writes no body for a HEAD request", () => {
  const r = rig();
  r.send("HEAD / HTTP/1.1\r\n\r\n");
  r.reply(OK_HELLO);
  assert.equal(
    r.io.take(),
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n",
  );
  r.io.flush();
  assert.equal(r.io.closed, false);
});

Deno.test("ReqHttpConnection writes neither body nor Content-Length for 1xx, 204 and 304", () => {
  for (const code of [103, 204, 304]) {
    const r = rig();
    r.send("GET / HTTP/1.1\r\n\r\n");
    r.reply({ code, reason: "R", body: enc("xyz") });
    assert.equal(r.io.take(), `HTTP/1.1 ${code} R\r\n\r\n`);
  }
});

Deno.test("ReqHttpConnection answers Expect: 100-continue before the body and sends the whole body", () => {
  const r = rig();
  r.send(
    "POST / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
  );
  assert.equal(r.io.take(), "HTTP/1.1 100 Continue\r\n\r\n");
  assert.equal(r.host.raw.length, 0);
  r.send("01234");
  assert.equal(r.host.reqs[0]!.body, "01234");
});

Deno.test("ReqHttpConnection sends no 100 Continue for HTTP/1.0 or an empty body", () => {
  const a = rig();
  a.send(
    "POST / HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n",
  );
  const b = rig();
  b.send(
    "POST / HTTP/1.1\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n",
  );
  assert.equal(a.io.take() + b.io.take(), "");
  assert.equal(b.host.raw.length, 1);
  assert.equal("body" in b.host.reqs[0]!, false);
});

/** Every way to cut `text` in two, then one byte at a time. */
function splits(text: string): string[][] {
  const out: string[][] = [];
  for (let i = 0; i <= text.length; i++) {
    out.push([text.slice(0, i), text.slice(i)]);
  }
  out.push([...text]);
  return out;
}

Deno.test("ReqHttpConnection reads a Content-Length body split at every byte, pipelined request included", () => {
  const text =
    "POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789GET /b HTTP/1.1\r\n\r\n";
  for (const parts of splits(text)) {
    const r = rig();
    for (const p of parts) r.send(p);
    assert.equal(r.host.raw.length, 1, JSON.stringify(parts));
    assert.equal(r.host.reqs[0]!.body, "0123456789");
    r.reply(OK_HELLO);
    r.io.flush();
    assert.equal(r.host.reqs[1]?.uri, "http://localhost/b");
  }
});

Deno.test("ReqHttpConnection reads a chunked body split at every byte, pipelined request included", () => {
  const text = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "5;ext=1\r\n01234\r\n1\r\n5\r\na\r\n6789abcdef\r\n0\r\nTrailer: x\r\n\r\n" +
    "GET /b HTTP/1.1\r\n\r\n";
  for (const parts of splits(text)) {
    const r = rig();
    for (const p of parts) r.send(p);
    assert.equal(r.host.raw.length, 1, JSON.stringify(parts));
    assert.equal(r.host.reqs[0]!.body, "0123456789abcdef");
    r.reply(OK_HELLO);
    r.io.flush();
    assert.equal(r.host.reqs[1]?.uri, "http://localhost/b");
    assert.equal(r.io.closed, false);
  }
});

Deno.test("ReqHttpConnection reads a chunked body when each size line arrives before its data", () => {
  const r = rig();
  r.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n");
  r.send("hello\r\n6\r\n");
  r.send(" world\r\n0\r\n\r\n");
  assert.equal(r.host.reqs[0]!.body, "hello world");
});

Deno.test("ReqHttpConnection reads bodies far larger than the read buffer", () => {
  const r = rig({ bufferSize: 128 });
  const body = "x".repeat(5000);
  r.send(`POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n${body}`);
  assert.equal(r.host.reqs[0]!.body, body);
  r.reply(OK_HELLO);
  r.io.flush();
  const chunks = "ab".repeat(1500);
  r.send(
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
      `${chunks.length.toString(16)}\r\n${chunks}\r\n0\r\n\r\n`,
  );
  assert.equal(r.host.reqs[1]!.body, chunks);
});

Deno.test("ReqHttpConnection reads a chunked body after a head that fills the whole buffer", () => {
  const prefix = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX: ";
  const filler = "y".repeat(200 - prefix.length - 4);
  const head = `${prefix}${filler}\r\n\r\n`;
  assert.equal(head.length, 200);
  const r = rig({ bufferSize: 200 });
  r.send(head + "3\r\nabc\r\n0\r\n\r\n");
  assert.equal(r.host.reqs[0]!.body, "abc");
  assert.equal((r.host.reqs[0]!.headers as string[][])[1]![1], filler);
});

Deno.test("ReqHttpConnection accepts a Content-Length body exactly at the body-buffer-size", () => {
  const r = rig({ bodyBufferSize: 10 });
  r.send("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789");
  assert.equal(r.host.reqs[0]!.body, "0123456789");
});

Deno.test("ReqHttpConnection refuses a Content-Length above the body-buffer-size with 413, drains it, then closes", () => {
  const r = rig({ bodyBufferSize: 10 });
  r.send("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n0123");
  const out = r.io.take();
  assert.match(out, /^HTTP\/1\.1 413 Content Too Large\r\n/);
  assert.match(out, /Connection: close\r\n/);
  assert.equal(r.host.raw.length, 0, "nothing for the handler");
  assert.equal(r.io.closed, false, "still reading the rest of the body");
  r.send("4567");
  assert.equal(r.io.closed, false);
  r.send("89a");
  assert.equal(r.io.closed, true);
  assert.equal(r.io.graceful, true);
});

Deno.test("ReqHttpConnection closes at once after a 413 when the client waits for 100 Continue", () => {
  const r = rig({ bodyBufferSize: 10 });
  r.send(
    "POST / HTTP/1.1\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n",
  );
  assert.match(r.io.take(), /^HTTP\/1\.1 413 /);
  assert.equal(r.io.closed, true);
});

Deno.test("ReqHttpConnection stops draining a refused body after DRAIN_BYTES_MAX bytes", () => {
  const r = rig({ bodyBufferSize: 10 });
  r.send(`POST / HTTP/1.1\r\nContent-Length: ${DRAIN_BYTES_MAX * 4}\r\n\r\n`);
  const chunk = new Uint8Array(65536);
  let sent = 0;
  while (!r.conn.closed && sent < DRAIN_BYTES_MAX * 2) {
    r.send(chunk);
    sent += chunk.length;
  }
  assert.equal(r.io.closed, true);
  assert(sent <= DRAIN_BYTES_MAX + chunk.length);
});

Deno.test("ReqHttpConnection accepts a chunked body exactly at the limit and refuses one byte more with 413", () => {
  const ok = rig({ bodyBufferSize: 10 });
  ok.send(
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n",
  );
  assert.equal(ok.host.reqs[0]!.body, "0123456789");

  const big = rig({ bodyBufferSize: 10 });
  big.send(
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n6\r\n56789a\r\n",
  );
  assert.match(big.io.take(), /^HTTP\/1\.1 413 /);
  assert.equal(big.host.raw.length, 0);
  assert.equal(big.io.closed, false, "draining to the last chunk");
  big.send("3\r\nxyz\r\n0\r\n\r\n");
  assert.equal(big.io.closed, true);
});

Deno.test("ReqHttpConnection answers malformed chunk framing with 400", () => {
  const r = rig();
  r.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  assert.match(r.io.take(), /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(r.io.closed, true);
  assert.equal(r.host.raw.length, 0);
});

Deno.test("ReqHttpConnection answers a malformed head with 400 and a missing-body framing error likewise", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n");
  assert.match(r.io.take(), /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(r.io.closed, true);
  assert.equal(r.host.raw.length, 0);
  const t = rig({ bufferSize: 64 });
  t.send(`GET /${"a".repeat(100)} HTTP/1.1\r\n\r\n`);
  assert.match(t.io.take(), /^HTTP\/1\.1 431 /);
});

Deno.test("ReqHttpConnection answers a WebSocket upgrade with Condure's exact 400 and closes", () => {
  const ws = "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  for (const minor of [1, 0]) {
    const r = rig();
    r.send(`GET /ws HTTP/1.${minor}\r\nHost: a\r\n${ws}`);
    assert.equal(
      r.io.take(),
      `HTTP/1.${minor} 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 48\r\n\r\n` +
        "WebSockets not supported on req mode interface.\n",
    );
    assert.equal(r.io.closed, true);
    assert.equal(r.io.graceful, true);
    assert.equal(r.host.raw.length, 0);
  }
});

Deno.test("ReqHttpConnection closes without a response when --req-timeout passes", () => {
  const r = rig({ reqTimeoutMs: 5_000 });
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.conn.onTick(r.host.time + 4_999);
  assert.equal(r.io.closed, false);
  r.conn.onTick(r.host.time + 5_000);
  assert.equal(r.io.closed, true);
  assert.equal(r.io.take(), "");
  assert.equal(r.host.sessions.size, 0);
});

Deno.test("ReqHttpConnection bounds the idle wait of a kept-alive connection by --req-timeout", () => {
  const r = rig({ reqTimeoutMs: 5_000 });
  r.host.time = 1_000;
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.host.time = 4_000;
  r.reply(OK_HELLO);
  r.io.flush(); // the next cycle starts at t=4000
  r.conn.onTick(6_000); // the first cycle's deadline has passed: not the current one
  assert.equal(r.io.closed, false);
  r.conn.onTick(9_000);
  assert.equal(r.io.closed, true);
});

Deno.test("ReqHttpConnection closes quietly when the client leaves mid-body", () => {
  const r = rig();
  r.send("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234");
  r.conn.onEof();
  assert.equal(r.io.closed, true);
  assert.equal(r.host.raw.length, 0);
});

Deno.test("ReqHttpConnection still answers a client that half-closed after its request", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.conn.onEof();
  assert.equal(r.io.closed, false);
  r.reply(OK_HELLO);
  assert.equal(r.io.take(), HELLO_RESPONSE);
  r.io.flush();
  assert.equal(r.io.closed, true);
});

Deno.test("ReqHttpConnection serves pipelined requests buffered before the client's EOF", () => {
  const r = rig();
  r.send("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
  r.conn.onEof();
  r.reply(OK_HELLO);
  r.io.flush();
  assert.equal(r.host.raw.length, 2);
  r.reply(OK_HELLO);
  r.io.flush();
  assert.equal(r.io.closed, true);
});

Deno.test("ReqHttpConnection closes on a write error and when aborted", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.conn.onWriteError();
  assert.equal(r.io.closed, true);
  const a = rig();
  a.conn.abort();
  assert.equal(a.io.closed, true);
  assert.equal(a.host.sessions.size, 0);
});

Deno.test("ReqHttpConnection stops reading while a full buffer of pipelined bytes waits", () => {
  const r = rig({ bufferSize: 64 });
  r.send("GET / HTTP/1.1\r\n\r\n");
  assert.equal(r.io.reading, true);
  const target = r.conn.readTarget();
  target.fill(0x41);
  r.conn.onRead(target.length);
  assert.equal(r.io.reading, false);
  assert.equal(r.conn.readTarget().length, 0);
});

Deno.test("ReqHttpConnection takes part in the worker's keep-alive and shutdown loops as a no-op", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  assert.equal(r.conn.keepAliveAddress(1e12), null);
  assert.equal(r.conn.cancelAddress(), null);
  assert.equal(r.conn.takeSeq(), 0);
});

Deno.test("ReqHttpConnection keeps a read that was in flight across the start of the next cycle", () => {
  const r = rig();
  r.send("GET /1 HTTP/1.1\r\n\r\nGET /2 HT");
  const target = r.conn.readTarget(); // the read loop awaits a read into this
  r.reply(OK_HELLO);
  r.io.flush(); // next cycle: the buffered "GET /2 HT" moves to the front
  const rest = enc("TP/1.1\r\nHost: h\r\n\r\n");
  target.set(rest);
  r.conn.onRead(rest.length);
  assert.equal(r.host.reqs[1]?.uri, "http://h/2");
});
