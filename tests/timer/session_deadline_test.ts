// The deadlines sessions give the worker's timer wheel (`nextDeadline()`): never later than
// the moment `onTick()`/`keepAliveAddress()` have work to do.
import assert from "node:assert/strict";
import { KEEP_ALIVE_INTERVAL_MS } from "../../src/session/keep_alive.ts";
import { StreamHttpConnection } from "../../src/session/stream_http.ts";
import { ReqHttpConnection } from "../../src/session/req_http.ts";
import {
  enc,
  FakeHost,
  FakeIo,
  type Flushable,
  packet,
} from "../session/_fakes.ts";

function rig(messagesMax = 100) {
  const host = new FakeHost({});
  const io = new FakeIo();
  const woken: number[] = [];
  const conn = new StreamHttpConnection(host, io, {
    slot: 0,
    secure: false,
    peer: {},
    websocket: { compression: false, messagesMax },
    onWake: (c) => woken.push(c.nextDeadline(host.time)),
  });
  io.session = conn as Flushable;
  conn.start();
  const send = (text: string) => {
    const bytes = enc(text);
    let off = 0;
    while (off < bytes.length) {
      const t = conn.readTarget();
      const n = Math.min(t.length, bytes.length - off);
      t.set(bytes.subarray(off, off + n));
      off += n;
      conn.onRead(n);
    }
  };
  const reply = (p: Parameters<typeof packet>[0], seq: number) =>
    conn.onPacket(packet({ ids: [{ id: enc(conn.id) }], ...p }), seq);
  return { host, io, conn, send, reply, woken };
}

Deno.test("StreamHttpConnection.nextDeadline() of an idle connection: the session timeout, bounded by a keep-alive interval", () => {
  const r = rig();
  const t0 = r.host.time;
  assert.equal(
    r.conn.nextDeadline(t0),
    Math.min(t0 + r.host.sessionTimeoutMs, t0 + KEEP_ALIVE_INTERVAL_MS),
  );
  // asked again after 50 s: the session timeout comes first
  assert.equal(r.conn.nextDeadline(t0 + 50_000), t0 + r.host.sessionTimeoutMs);
  r.host.time = t0 + r.host.sessionTimeoutMs;
  r.conn.onTick(r.host.time);
  assert.equal(r.io.closed, true);
  assert.equal(r.conn.nextDeadline(r.host.time), Infinity);
});

Deno.test("StreamHttpConnection.nextDeadline() follows the keep-alive schedule once the handler spoke", () => {
  const r = rig();
  r.send("GET /s HTTP/1.1\r\nHost: h\r\n\r\n");
  const t1 = (r.host.time += 5_000);
  const before = r.conn.nextDeadline(t1);
  assert.ok(before <= t1 + KEEP_ALIVE_INTERVAL_MS);
  r.reply({ code: 200, reason: "OK", more: true, body: enc("a") }, 0);
  const at = r.conn.nextDeadline(t1);
  assert.equal(at, t1 + KEEP_ALIVE_INTERVAL_MS);
  assert.ok(
    at >= before,
    "a lazily kept earlier entry only fires early, never late",
  );
  r.host.time = at;
  r.conn.onTick(at);
  assert.notEqual(r.conn.keepAliveAddress(at), null);
  // next: the session timeout armed by the handler's packet (60 s), before another 45 s
  assert.equal(r.conn.nextDeadline(at), t1 + r.host.sessionTimeoutMs);
});

Deno.test("WebSocketSession.nextDeadline() asks for every tick (and wakes the worker) while more than --messages-max messages are queued", () => {
  const r = rig(2);
  r.send(
    "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  );
  r.reply({ code: 101, reason: "Switching Protocols", credits: 8192 }, 0);
  r.io.flush();
  const now = r.host.time;
  assert.ok(r.conn.nextDeadline(now) > now + 1000);
  for (let i = 1; i <= 3; i++) r.reply({ body: enc(`${i}`) }, i);
  assert.deepEqual(r.woken, [now], "woken once, when the queue passed 2");
  assert.equal(r.conn.nextDeadline(now), now);
  r.io.flush();
  assert.ok(r.conn.nextDeadline(now) > now + 1000, "drained: back to normal");
});

Deno.test("ReqHttpConnection.nextDeadline() is the request deadline", () => {
  const host = new FakeHost({});
  const h = Object.assign(host, {
    reqTimeoutMs: 30_000,
    bodyBufferSize: 100_000,
    sendReq: () => {},
  });
  const io = new FakeIo();
  const conn = new ReqHttpConnection(h, io, {
    slot: 0,
    secure: false,
    peer: {},
  });
  io.session = conn as Flushable;
  conn.start();
  assert.equal(conn.nextDeadline(host.time), host.time + 30_000);
  conn.abort();
  assert.equal(conn.nextDeadline(host.time), Infinity);
});
