import assert from "node:assert/strict";
import { StreamHttpConnection } from "../../src/session/stream_http.ts";
import { enc, FakeHost, FakeIo, type Flushable, packet } from "./_fakes.ts";

interface Rig {
  host: FakeHost;
  io: FakeIo;
  conn: StreamHttpConnection;
  send(text: string): void;
  reply(p: Parameters<typeof packet>[0], seq?: number): void;
}

function rig(options: { bufferSize?: number } = {}): Rig {
  const host = new FakeHost(options);
  const io = new FakeIo();
  const conn = new StreamHttpConnection(host, io, {
    slot: 0,
    secure: false,
    peer: { address: "127.0.0.1", port: 4321 },
  });
  io.session = conn as Flushable;
  conn.start();
  return {
    host,
    io,
    conn,
    send(text) {
      const bytes = enc(text);
      let off = 0;
      while (off < bytes.length) {
        const target = conn.readTarget();
        const n = Math.min(target.length, bytes.length - off);
        target.set(bytes.subarray(off, off + n));
        off += n;
        conn.onRead(n);
        if (n === 0) break;
      }
    },
    reply(p, seq) {
      conn.onPacket(packet({ ids: [{ id: enc(conn.id) }], ...p }), seq);
    },
  };
}

Deno.test("StreamHttpConnection sends a request packet with Condure's fields for a GET", () => {
  const r = rig();
  r.send(
    "GET /p?x=1 HTTP/1.1\r\nHost: a:81\r\nX-Foo: Bar\r\nx-foo: baz\r\n\r\n",
  );
  assert.equal(r.host.pushed.length, 1);
  assert.deepEqual(r.host.pushed[0], {
    from: "condure",
    id: "0-0-0",
    seq: 0,
    ext: { multi: true },
    method: "GET",
    uri: "http://a:81/p?x=1",
    headers: [["Host", "a:81"], ["X-Foo", "Bar"], ["x-foo", "baz"]],
    credits: 8192,
    stream: true,
    "peer-address": "127.0.0.1",
    "peer-port": 4321,
  });
});

Deno.test("StreamHttpConnection uses localhost when the request has no Host", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  assert.equal(r.host.pushed[0]!.uri, "http://localhost/");
});

Deno.test("StreamHttpConnection writes a fixed response and starts a new id on keep-alive", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  r.reply({
    code: 200,
    reason: "OK",
    headers: [[enc("Content-Type"), enc("text/plain")]],
    body: enc("hello\n"),
  }, 0);
  assert.equal(
    r.io.take(),
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n",
  );
  r.io.flush();
  assert.equal(r.host.routed.length, 0, "no credit after the final flush");
  assert.equal(r.io.closed, false);
  assert.equal(r.conn.id, "0-0-1");
  r.send("GET /2 HTTP/1.1\r\n\r\n");
  assert.equal(r.host.pushed[1]!.id, "0-0-1");
});

Deno.test("StreamHttpConnection streams a chunked response and returns credits as bytes flush", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.reply({ code: 200, reason: "OK", body: enc("part1"), more: true }, 0);
  assert.equal(
    r.io.take(),
    "HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n5\r\npart1\r\n",
  );
  r.io.flush();
  assert.deepEqual(
    r.host.routed.map((
      x,
    ) => [x.to, x.packet.type, x.packet.credits, x.packet.seq]),
    [
      ["h1", "credit", 5, 1],
    ],
  );
  r.reply({ body: enc("xy"), more: true }, 1);
  r.io.flush();
  r.reply({}, 2);
  assert.equal(r.io.take(), "2\r\nxy\r\n0\r\n\r\n");
  r.io.flush();
  assert.equal(r.host.routed.length, 2);
  assert.equal(r.conn.id, "0-0-1");
});

Deno.test("StreamHttpConnection forwards a request body under credits, with 100 Continue", () => {
  const r = rig();
  r.send(
    "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 20\r\nExpect: 100-continue\r\n\r\n",
  );
  assert.equal(r.host.pushed[0]!.more, true);
  assert.equal(r.io.take(), "");
  r.reply({ type: "credit", credits: 5 }, 0);
  assert.equal(r.io.take(), "HTTP/1.1 100 Continue\r\n\r\n");
  r.send("0123456789abcdefghij");
  assert.deepEqual(r.host.routed.map((x) => x.packet), [
    {
      from: "condure",
      id: "0-0-0",
      seq: 1,
      ext: { multi: true },
      body: "01234",
      more: true,
    },
  ]);
  r.reply({ type: "credit", credits: 100 }, 1);
  assert.deepEqual(r.host.routed[1]!.packet, {
    from: "condure",
    id: "0-0-0",
    seq: 2,
    ext: { multi: true },
    body: "56789abcdefghij",
  });
});

Deno.test("StreamHttpConnection answers early responses with Connection: close and closes", () => {
  const r = rig();
  r.send("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n01");
  r.reply({ code: 200, reason: "OK", body: enc("ok") }, 0);
  assert.equal(
    r.io.take(),
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
  );
  r.io.flush();
  assert.equal(r.io.closed, true);
});

Deno.test("StreamHttpConnection closes without cancel on a wrong seq", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.reply({ type: "keep-alive" }, 3);
  assert.equal(r.io.closed, true);
  assert.equal(r.host.routed.length, 0);
});

Deno.test("StreamHttpConnection accepts packets without seq", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.reply({ type: "keep-alive" });
  r.reply({ type: "keep-alive" }, 0);
  assert.equal(r.io.closed, false);
});

Deno.test("StreamHttpConnection sends cancel when the client leaves mid-response", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.reply({ code: 200, reason: "OK", body: enc("a"), more: true }, 0);
  r.io.flush();
  r.conn.onEof();
  assert.equal(r.io.closed, true);
  const last = r.host.routed.at(-1)!;
  assert.deepEqual([last.packet.type, last.packet.seq], ["cancel", 2]);
});

Deno.test("StreamHttpConnection cancels when the handler overruns its credits", () => {
  const r = rig({ bufferSize: 100 });
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.reply(
    { code: 200, reason: "OK", body: enc("a".repeat(10)), more: true },
    0,
  );
  r.reply({ body: enc("b".repeat(95)), more: true }, 1);
  assert.equal(r.io.closed, true);
  assert.equal(r.host.routed.at(-1)!.packet.type, "cancel");
});

Deno.test("StreamHttpConnection hands off to a new owner after handoff-proceed", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.reply({ type: "handoff-start", from: "old" }, 0);
  assert.deepEqual(
    r.host.routed.map((x) => [x.to, x.packet.type, x.packet.seq]),
    [
      ["old", "handoff-proceed", 1],
    ],
  );
  r.reply({ type: "keep-alive", from: "new" }, 1);
  r.reply(
    { code: 200, reason: "OK", body: enc("x"), more: true, from: "new" },
    2,
  );
  r.io.flush();
  assert.deepEqual(r.host.routed.at(-1)!.to, "new");
  assert.equal(r.host.routed.at(-1)!.packet.seq, 2);
});

Deno.test("StreamHttpConnection answers a malformed request with 400 and closes", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\nBad Header\r\n\r\n");
  assert.match(r.io.take(), /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(r.io.closed, true);
  assert.equal(r.host.pushed.length, 0);
});

Deno.test("StreamHttpConnection answers an oversized head with 431", () => {
  const r = rig({ bufferSize: 256 });
  r.send("GET / HTTP/1.1\r\nX: " + "a".repeat(300));
  assert.match(r.io.take(), /^HTTP\/1\.1 431 /);
  assert.equal(r.io.closed, true);
});

Deno.test("StreamHttpConnection closes on session timeout without cancel", () => {
  const r = rig();
  r.send("GET / HTTP/1.1\r\n\r\n");
  r.host.time += 60_001;
  r.conn.onTick(r.host.time);
  assert.equal(r.io.closed, true);
  assert.equal(r.host.routed.length, 0);
});

Deno.test("StreamHttpConnection sends cancel on stream timeout once the handler is known", () => {
  const host = new FakeHost({ streamTimeoutMs: 5_000 });
  const io = new FakeIo();
  const conn = new StreamHttpConnection(host, io, {
    slot: 0,
    secure: false,
    peer: {},
  });
  io.session = conn;
  conn.start();
  const t = conn.readTarget();
  const req = enc("GET / HTTP/1.1\r\n\r\n");
  t.set(req);
  conn.onRead(req.length);
  conn.onPacket(packet({ type: "keep-alive" }), 0);
  host.time += 5_001;
  conn.onTick(host.time);
  assert.equal(io.closed, true);
  assert.equal(host.routed.at(-1)!.packet.type, "cancel");
});

Deno.test("StreamHttpConnection handles pipelined requests one at a time", () => {
  const r = rig();
  r.send("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
  assert.equal(r.host.pushed.length, 1);
  r.reply({ code: 200, reason: "OK", body: enc("1") }, 0);
  assert.equal(r.host.pushed.length, 1, "not before the response is flushed");
  r.io.flush();
  assert.equal(r.host.pushed.length, 2);
  assert.equal(r.host.pushed[1]!.uri, "http://localhost/2");
});

Deno.test("StreamHttpConnection writes no body for HEAD", () => {
  const r = rig();
  r.send("HEAD / HTTP/1.1\r\n\r\n");
  r.reply({
    code: 200,
    reason: "OK",
    headers: [[enc("Content-Length"), enc("10")]],
    body: enc("0123456789"),
  }, 0);
  assert.equal(r.io.take(), "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
  r.io.flush();
  assert.equal(r.io.closed, false);
});

Deno.test("StreamHttpConnection closes an HTTP/1.0 streamed response at its end", () => {
  const r = rig();
  r.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  r.reply({ code: 200, reason: "OK", body: enc("a"), more: true }, 0);
  r.reply({ body: enc("b") }, 1);
  assert.equal(r.io.take(), "HTTP/1.0 200 OK\r\n\r\nab");
  r.io.flush();
  assert.equal(r.io.closed, true);
});

Deno.test("StreamHttpConnection de-chunks a chunked request body", () => {
  const r = rig();
  r.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  r.reply({ type: "credit", credits: 1000 }, 0);
  r.send("3\r\nabc\r\n0\r\n\r\n");
  const packets = r.host.routed.map((x) => x.packet);
  assert.equal(packets.map((p) => p.body ?? "").join(""), "abc");
  assert.equal(packets.at(-1)!.more, undefined);
  assert.ok(packets.slice(0, -1).every((p) => p.more === true));
});
