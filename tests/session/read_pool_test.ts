import assert from "node:assert/strict";
import { ReadPool } from "../../src/session/read_pool.ts";
import { StreamHttpConnection } from "../../src/session/stream_http.ts";
import { enc, FakeHost, FakeIo, type Flushable, packet } from "./_fakes.ts";

Deno.test("`ReadPool` reuses given-back buffers and slots; slots are disjoint views of one slab", () => {
  const pool = new ReadPool({ bufferSize: 1024, slotSize: 64 });
  const a = pool.takeSlot();
  const b = pool.takeSlot();
  assert.equal(a.length, 64);
  assert.equal(a.buffer, b.buffer);
  assert.equal(b.byteOffset - a.byteOffset, 64);
  const buf = pool.take();
  assert.equal(buf.length, 1024);
  assert.deepEqual(pool.stats, { buffersOut: 1, buffersFree: 0, slotsOut: 2 });
  pool.give(buf);
  pool.giveSlot(a);
  assert.equal(pool.take(), buf);
  assert.equal(pool.takeSlot(), a);
});

Deno.test("`ReadPool` keeps at most `keep` free buffers and bounds the slot size by the buffer size", () => {
  const pool = new ReadPool({ bufferSize: 16, slotSize: 64, keep: 1 });
  assert.equal(pool.slotSize, 16);
  const x = pool.take();
  const y = pool.take();
  pool.give(x);
  pool.give(y);
  assert.equal(pool.stats.buffersFree, 1);
  assert.throws(() => new ReadPool({ bufferSize: 0 }), RangeError);
});

function rig(pool: ReadPool) {
  const host = new FakeHost({ bufferSize: 1024 });
  const io = new FakeIo();
  const conn = new StreamHttpConnection(host, io, {
    slot: 0,
    secure: false,
    peer: {},
    readPool: pool,
  });
  io.session = conn as Flushable;
  conn.start();
  const send = (text: string) => {
    const bytes = enc(text);
    let off = 0;
    while (off < bytes.length) {
      const target = conn.readTarget();
      const n = Math.min(target.length, bytes.length - off);
      target.set(bytes.subarray(off, off + n));
      off += n;
      conn.onRead(n);
    }
  };
  const respond = () => {
    conn.onPacket(
      packet({
        ids: [{ id: enc(conn.id) }],
        code: 200,
        reason: "OK",
        body: enc("hi"),
      }),
      0,
    );
    io.flush();
  };
  return { host, io, conn, send, respond };
}

Deno.test("StreamHttpConnection reads into its small slot while idle and borrows a full buffer only for a long head", () => {
  const pool = new ReadPool({ bufferSize: 1024, slotSize: 32 });
  const r = rig(pool);
  assert.equal(r.conn.readTarget().length, 32, "idle: the slot");
  assert.equal(pool.stats.buffersOut, 0);
  // a head longer than the slot: promoted into a pooled buffer, bytes kept in order
  r.send(`GET /${"a".repeat(60)} HTTP/1.1\r\nHost: h\r\n\r\n`);
  assert.equal(r.host.pushed.length, 1);
  assert.equal(r.host.pushed[0]!.uri, `http://h/${"a".repeat(60)}`);
  assert.equal(pool.stats.buffersOut, 1);
  r.respond();
  assert.match(r.io.take(), /^HTTP\/1\.1 200 OK\r\n/);
  // next cycle, nothing buffered: back to the slot, the buffer is returned
  assert.equal(r.conn.readTarget().length, 32);
  assert.deepEqual(pool.stats, { buffersOut: 0, buffersFree: 1, slotsOut: 1 });
  // a short request fits the slot whole: no buffer borrowed
  r.send("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  assert.equal(r.host.pushed.length, 2);
  assert.equal(pool.stats.buffersOut, 0);
});

Deno.test("StreamHttpConnection keeps its full buffer while a request body is read", () => {
  const pool = new ReadPool({ bufferSize: 1024, slotSize: 32 });
  const r = rig(pool);
  r.send(
    `POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n${
      "x".repeat(40)
    }`,
  );
  r.conn.onPacket(
    packet({ ids: [{ id: enc(r.conn.id) }], type: "credit", credits: 1000 }),
    0,
  );
  assert.equal(pool.stats.buffersOut, 1);
  assert.ok(r.conn.readTarget().length > 32, "body: the full buffer stays");
  r.send("y".repeat(60));
  const bodies = r.host.routed.map((x) => x.packet.body as string).join("");
  assert.equal(bodies, "x".repeat(40) + "y".repeat(60));
});

Deno.test("StreamHttpConnection.release() gives its slot and buffer back once", () => {
  const pool = new ReadPool({ bufferSize: 1024, slotSize: 32 });
  const r = rig(pool);
  r.send(`GET /${"a".repeat(60)}`); // partial head, in a full buffer
  assert.deepEqual(pool.stats, { buffersOut: 1, buffersFree: 0, slotsOut: 1 });
  r.conn.abort();
  r.conn.release();
  r.conn.release();
  assert.deepEqual(pool.stats, { buffersOut: 0, buffersFree: 1, slotsOut: 0 });
});

Deno.test("WebSocketSession takes over the slot: idle in the slot, a large frame in a pooled buffer", () => {
  const pool = new ReadPool({ bufferSize: 1024, slotSize: 32 });
  const r = rig(pool);
  r.send(
    "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  );
  r.conn.onPacket(
    packet({
      ids: [{ id: enc(r.conn.id) }],
      code: 101,
      reason: "Switching Protocols",
      credits: 4096,
    }),
    0,
  );
  r.io.flush();
  assert.equal(r.conn.readTarget().length, 32, "drained: back in the slot");
  assert.equal(pool.stats.buffersOut, 0);
  // a 100-byte masked text frame: more than the slot holds
  const payload = "z".repeat(100);
  const frame = new Uint8Array(2 + 4 + payload.length);
  frame.set([0x81, 0x80 | payload.length, 0, 0, 0, 0]);
  frame.set(enc(payload), 6);
  let off = 0;
  while (off < frame.length) {
    const t = r.conn.readTarget();
    const n = Math.min(t.length, frame.length - off);
    t.set(frame.subarray(off, off + n));
    off += n;
    r.conn.onRead(n);
  }
  const text = r.host.routed.map((x) => x.packet.body as string).join("");
  assert.equal(text, payload);
  // the slot filled mid-frame: the rest was read before forwarding, so one packet, as Condure
  assert.equal(
    r.host.routed.filter((x) => x.packet.type === undefined).length,
    1,
  );
  r.conn.abort();
  r.conn.release();
  assert.equal(pool.stats.slotsOut, 0);
  assert.equal(pool.stats.buffersOut, 0);
});
