import assert from "node:assert/strict";
import { StreamHttpConnection } from "../../src/session/stream_http.ts";
import { DeflateDecoder, DeflateEncoder } from "../../src/websocket/mod.ts";
import { enc, FakeHost, FakeIo, type Flushable, packet } from "./_fakes.ts";

const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const MASK = [0x37, 0xfa, 0x21, 0x3d] as const;

/** FakeIo that also keeps the raw bytes (its text log is windows-1252, lossy for 0x80-0x9f). */
class RawIo extends FakeIo {
  raw: Uint8Array[] = [];
  override write(data: Uint8Array, bodyBytes: number): void {
    if (!this.closed) this.raw.push(data.slice());
    super.write(data, bodyBytes);
  }
  takeRaw(): Uint8Array {
    const out = concat(...this.raw);
    this.raw = [];
    this.take();
    return out;
  }
}

interface Rig {
  host: FakeHost;
  io: RawIo;
  conn: StreamHttpConnection;
  /** Feeds bytes as the client would send them. */
  send(bytes: Uint8Array | string): void;
  /** A handler packet for the current id. */
  reply(p: Parameters<typeof packet>[0], seq?: number): void;
  /** Packets routed to handlers so far, then forgotten. */
  routed(): Record<string, unknown>[];
  /** Bytes written to the client so far, then forgotten. */
  written(): Uint8Array;
}

function rig(
  options: {
    bufferSize?: number;
    compression?: boolean;
    messagesMax?: number;
  } = {},
): Rig {
  const host = new FakeHost(
    options.bufferSize === undefined ? {} : { bufferSize: options.bufferSize },
  );
  const io = new RawIo();
  const conn = new StreamHttpConnection(host, io, {
    slot: 0,
    secure: false,
    peer: { address: "127.0.0.1", port: 4321 },
    websocket: {
      compression: options.compression ?? false,
      messagesMax: options.messagesMax ?? 100,
    },
  });
  io.session = conn as Flushable;
  conn.start();
  let seen = 0;
  return {
    host,
    io,
    conn,
    send(data) {
      const bytes = typeof data === "string" ? enc(data) : data;
      let off = 0;
      while (off < bytes.length) {
        const target = conn.readTarget();
        const n = Math.min(target.length, bytes.length - off);
        if (n === 0) break;
        target.set(bytes.subarray(off, off + n));
        off += n;
        conn.onRead(n);
      }
    },
    reply(p, seq) {
      conn.onPacket(packet({ ids: [{ id: enc(conn.id) }], ...p }), seq);
    },
    routed() {
      const out = host.routed.slice(seen).map((x) => x.packet);
      seen = host.routed.length;
      return out;
    },
    written() {
      return io.takeRaw();
    },
  };
}

function upgradeHead(extra = ""): string {
  return "GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n" +
    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
    `Sec-WebSocket-Key: ${RFC_KEY}\r\n${extra}\r\n`;
}

/** A rig with an accepted WebSocket (handler `h1`, given credits); output cleared. */
function opened(
  options: Parameters<typeof rig>[0] & { credits?: number; extra?: string } =
    {},
): Rig {
  const r = rig(options);
  r.send(upgradeHead(options.extra));
  r.reply({
    code: 101,
    reason: "Switching Protocols",
    credits: options.credits ?? 8192,
  }, 0);
  r.io.flush();
  r.written();
  r.routed();
  return r;
}

/** A masked client frame. */
function frame(
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; rsv1?: boolean; masked?: boolean; rsv?: number } =
    {},
): Uint8Array {
  const data = typeof payload === "string" ? enc(payload) : payload;
  const masked = options.masked ?? true;
  const b0 = ((options.fin ?? true) ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) |
    (options.rsv ?? 0) | opcode;
  const len = data.length;
  const head = len < 126
    ? [b0, (masked ? 0x80 : 0) | len]
    : len < 65536
    ? [b0, (masked ? 0x80 : 0) | 126, len >> 8, len & 0xff]
    : [
      b0,
      (masked ? 0x80 : 0) | 127,
      0,
      0,
      0,
      0,
      len >>> 24,
      (len >> 16) & 0xff,
      (len >> 8) & 0xff,
      len & 0xff,
    ];
  const out = new Uint8Array(head.length + (masked ? 4 : 0) + len);
  out.set(head);
  let pos = head.length;
  if (masked) {
    out.set(MASK, pos);
    pos += 4;
  }
  for (let i = 0; i < len; i++) {
    out[pos + i] = data[i]! ^ (masked ? MASK[i & 3]! : 0);
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

interface ServerFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Uint8Array;
}

/** Parses the (unmasked) frames the server wrote. */
function serverFrames(bytes: Uint8Array): ServerFrame[] {
  const out: ServerFrame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const b0 = bytes[pos]!;
    const b1 = bytes[pos + 1]!;
    assert.equal(b1 & 0x80, 0, "server frames are not masked");
    let len = b1 & 0x7f;
    pos += 2;
    if (len === 126) {
      len = (bytes[pos]! << 8) | bytes[pos + 1]!;
      pos += 2;
    } else if (len === 127) {
      len = (bytes[pos + 6]! << 8) | bytes[pos + 7]!;
      pos += 8;
    }
    out.push({
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      opcode: b0 & 0x0f,
      payload: bytes.slice(pos, pos + len),
    });
    pos += len;
  }
  return out;
}

const latin1 = (b: Uint8Array) => new TextDecoder("latin1").decode(b);

// ---- upgrade ----

Deno.test("WebSocket upgrade sends a ws:// request packet without stream or more", () => {
  const r = rig();
  r.send(upgradeHead());
  assert.equal(r.host.pushed.length, 1);
  const p = r.host.pushed[0]!;
  assert.deepEqual(Object.keys(p), [
    "from",
    "id",
    "seq",
    "ext",
    "method",
    "uri",
    "headers",
    "credits",
    "peer-address",
    "peer-port",
  ]);
  assert.equal(p.uri, "ws://example.com/chat?x=1");
  assert.equal(p.credits, 8192);
  assert.equal(p.seq, 0);
  assert.equal(r.io.reading, false, "no reading while waiting for the handler");
});

Deno.test("WebSocket accept rewrites the upgrade headers exactly as Condure does", () => {
  const r = rig();
  r.send(upgradeHead());
  r.reply({
    code: 101,
    reason: "Switching Protocols",
    headers: [
      [enc("Sec-WebSocket-Protocol"), enc("chat")],
      [enc("Upgrade"), enc("bogus")],
      [enc("connection"), enc("bogus")],
      [enc("Sec-WebSocket-Accept"), enc("bogus")],
      [enc("Sec-WebSocket-Extensions"), enc("bogus")],
    ],
  }, 0);
  assert.equal(
    r.io.take(),
    "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Protocol: chat\r\n" +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${RFC_ACCEPT}\r\n\r\n`,
  );
  assert.equal(r.io.reading, true);
  assert.equal(r.io.closed, false);
});

for (
  const [name, head] of <Array<[string, string]>> [
    ["a missing key", upgradeHead().replace(/Sec-WebSocket-Key: .*\r\n/, "")],
    ["version 8", upgradeHead().replace("Version: 13", "Version: 8")],
    ["a POST", upgradeHead().replace("GET", "POST")],
    ["a body", upgradeHead("Content-Length: 3\r\n")],
    ["an oversized key", upgradeHead().replace(RFC_KEY, "k".repeat(221))],
    ["malformed extensions", upgradeHead("Sec-WebSocket-Extensions: a;;b\r\n")],
  ]
) {
  Deno.test(`WebSocket upgrade with ${name} is answered 400 and closed, no packet`, () => {
    const r = rig();
    r.send(head);
    assert.equal(r.host.pushed.length, 0);
    assert.match(r.io.take(), /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal(r.io.closed, true);
  });
}

Deno.test("WebSocket upgrade accepts Content-Length: 0", () => {
  const r = rig();
  r.send(upgradeHead("Content-Length: 0\r\n"));
  assert.equal(r.host.pushed.length, 1);
});

Deno.test("WebSocket upgrade with `Upgrade: WebSocket` is plain HTTP", () => {
  const r = rig();
  r.send(upgradeHead().replace("Upgrade: websocket", "Upgrade: WebSocket"));
  assert.equal(r.host.pushed[0]!.uri, "http://example.com/chat?x=1");
  assert.equal(r.host.pushed[0]!.stream, true);
});

Deno.test("WebSocket rejection writes the handler's response without the WS headers, then closes", () => {
  const r = rig();
  r.send(upgradeHead());
  r.reply({
    type: "error",
    condition: "rejected",
    code: 403,
    reason: "Forbidden",
    headers: [
      [enc("Content-Type"), enc("text/plain")],
      [enc("Upgrade"), enc("websocket")],
    ],
    body: enc("nope\n"),
  }, 0);
  assert.equal(
    r.io.take(),
    "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nnope\n",
  );
  assert.equal(r.io.closed, true);
  assert.equal(r.io.graceful, true);
  assert.deepEqual(r.routed(), []);
});

Deno.test("WebSocket accept with a code other than 101 is written as plain HTTP and closed", () => {
  const r = rig();
  r.send(upgradeHead());
  r.reply({ code: 200, reason: "OK", body: enc("hi") }, 0);
  assert.equal(
    r.io.take(),
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
  );
  assert.equal(r.io.closed, true);
});

Deno.test("WebSocket handler error other than rejected closes without a response", () => {
  const r = rig();
  r.send(upgradeHead());
  r.reply({ type: "error", condition: "bad-request" }, 0);
  assert.equal(r.io.take(), "");
  assert.equal(r.io.closed, true);
});

Deno.test("WebSocket accept with more than 60 headers kills the session without cancel", () => {
  const r = rig();
  r.send(upgradeHead());
  const headers = Array.from(
    { length: 61 },
    (_, i) => [enc(`X-${i}`), enc("v")] as const,
  );
  r.reply({ code: 101, reason: "Switching Protocols", headers }, 0);
  assert.equal(r.io.closed, true);
  assert.deepEqual(r.routed(), []);
});

// ---- client → handler ----

Deno.test("WebSocket client text and binary frames become data packets", () => {
  const r = opened();
  r.send(concat(frame(1, "hello"), frame(2, new Uint8Array([0, 1, 2]))));
  const ps = r.routed();
  assert.deepEqual(ps.map((p) => [p.seq, p["content-type"], p.body, p.more]), [
    [1, "text", "hello", undefined],
    [2, "binary", "\x00\x01\x02", undefined],
  ]);
  assert.equal(ps[0]!.type, undefined);
});

Deno.test("WebSocket fragmented client message keeps frame boundaries and content-type on every packet", () => {
  const r = opened();
  r.send(concat(
    frame(1, "ab", { fin: false }),
    frame(0, "cd", { fin: false }),
    frame(0, "ef"),
  ));
  assert.deepEqual(
    r.routed().map((p) => [p["content-type"], p.body, p.more]),
    [["text", "ab", true], ["text", "cd", true], ["text", "ef", undefined]],
  );
});

Deno.test("WebSocket empty final frame gives a packet without body; empty fragments are skipped", () => {
  const r = opened();
  r.send(concat(
    frame(2, "", { fin: false }),
    frame(0, "x", { fin: false }),
    frame(0, "", { fin: false }),
    frame(0, ""),
    frame(1, ""),
  ));
  const ps = r.routed();
  assert.deepEqual(ps.map((p) => [p["content-type"], p.body, p.more]), [
    ["binary", "x", true],
    ["binary", undefined, undefined],
    ["text", undefined, undefined],
  ]);
  assert.equal("body" in ps[1]!, false);
});

Deno.test("WebSocket frames split across reads are reassembled", () => {
  const r = opened();
  const bytes = concat(frame(1, "hello world"), frame(9, "p"));
  for (let i = 0; i < bytes.length; i++) r.send(bytes.subarray(i, i + 1));
  const ps = r.routed();
  assert.equal(
    ps.filter((p) => p.type === undefined).map((p) => p.body).join(""),
    "hello world",
  );
  assert.equal(ps.at(-1)!.type, "ping");
  assert.equal(ps.at(-2)!.more, undefined);
});

Deno.test("WebSocket client ping and pong are forwarded, no automatic pong", () => {
  const r = opened();
  r.send(concat(frame(9, "ping!"), frame(10, "pong!"), frame(9, "")));
  assert.deepEqual(r.routed().map((p) => [p.type, p.body]), [
    ["ping", "ping!"],
    ["pong", "pong!"],
    ["ping", undefined],
  ]);
  assert.equal(r.io.take(), "");
});

Deno.test("WebSocket accept without credits still lets a full buffer through", () => {
  const r = rig();
  r.send(upgradeHead());
  r.reply({ code: 101, reason: "Switching Protocols" }, 0);
  r.io.flush();
  r.routed();
  r.send(frame(2, new Uint8Array(9000)));
  const ps = r.routed();
  assert.equal(
    ps.reduce((n, p) => n + (p.body as string).length, 0),
    8192,
    "8192 bytes forwarded, then waiting for credits",
  );
  assert.ok(ps.every((p) => p.more === true));
});

Deno.test("WebSocket client data is split by credits and resumes on credit", () => {
  const r = opened({ credits: 10 });
  r.send(frame(1, "0123456789ABCDEFGHIJ"));
  assert.deepEqual(r.routed().map((p) => [p.body, p.more]), [[
    "0123456789",
    true,
  ]]);
  r.reply({ type: "credit", credits: 5 }, 1);
  assert.deepEqual(r.routed().map((p) => [p.body, p.more]), [["ABCDE", true]]);
  r.reply({ type: "credit", credits: 100 }, 2);
  assert.deepEqual(r.routed().map((p) => [p.body, p.more]), [[
    "FGHIJ",
    undefined,
  ]]);
});

Deno.test("WebSocket ping waits for credits covering its payload", () => {
  const r = opened({ credits: 3 });
  r.send(frame(9, "12345"));
  assert.deepEqual(r.routed(), []);
  r.reply({ type: "credit", credits: 2 }, 1);
  assert.deepEqual(r.routed().map((p) => [p.type, p.body]), [[
    "ping",
    "12345",
  ]]);
});

Deno.test("WebSocket stops reading when the buffer is full and credits are gone", () => {
  const r = opened({ bufferSize: 256, credits: 1 });
  r.send(frame(2, new Uint8Array(1000)));
  assert.equal(r.routed().length, 1);
  assert.equal(r.io.reading, false, "buffer full, no credits: reading paused");
  assert.equal(r.conn.readTarget().length, 0);
  r.reply({ type: "credit", credits: 5000 }, 1);
  assert.equal(r.io.reading, true);
});

// ---- handler → client ----

Deno.test("WebSocket handler messages become frames; credits come back per payload byte", async () => {
  const r = opened();
  r.reply({ body: enc("hi") }, 1);
  r.reply({ contentType: "binary", body: enc("ab"), more: true }, 2);
  r.reply({ contentType: "text", body: enc("cd"), more: true }, 3);
  r.reply({ body: enc("e") }, 4);
  r.reply({ type: "ping", body: enc("p") }, 5);
  r.reply({ type: "pong", body: enc("q") }, 6);
  const frames = serverFrames(r.written());
  assert.deepEqual(
    frames.map((f) => [f.opcode, f.fin, latin1(f.payload)]),
    [
      [1, true, "hi"],
      [2, false, "ab"],
      [0, false, "cd"],
      [0, true, "e"],
      [9, true, "p"],
      [10, true, "q"],
    ],
  );
  r.io.flush(); // one coalesced write: one credit packet for all its payload bytes
  await Promise.resolve();
  assert.deepEqual(r.routed().map((p) => [p.type, p.credits]), [["credit", 9]]);
  r.reply({ body: enc("xyz") }, 7);
  r.io.flush();
  await Promise.resolve();
  assert.deepEqual(r.routed().map((p) => [p.type, p.credits]), [["credit", 3]]);
});

Deno.test("WebSocket handler data beyond the buffer is an overrun: cancel and close", () => {
  const r = opened({ bufferSize: 256 });
  r.reply({ body: new Uint8Array(200) }, 1);
  r.reply({ body: new Uint8Array(100) }, 2);
  assert.equal(r.io.closed, true);
  assert.deepEqual(r.routed().map((p) => p.type), ["cancel"]);
});

Deno.test("WebSocket slow client: handler room only returns as bytes are written", async () => {
  const r = opened({ bufferSize: 256 });
  r.reply({ body: new Uint8Array(256) }, 1);
  assert.deepEqual(
    r.routed(),
    [],
    "no credit before the client took the bytes",
  );
  r.io.flush();
  await Promise.resolve();
  assert.deepEqual(r.routed().map((p) => p.credits), [256]);
  r.reply({ body: new Uint8Array(256) }, 2);
  assert.equal(r.io.closed, false);
});

Deno.test("WebSocket more queued messages than --messages-max for a stalled client: cancel and close", () => {
  const r = opened({ messagesMax: 2 });
  for (let i = 1; i <= 5; i++) r.reply({ body: enc(`${i}`) }, i);
  assert.equal(r.io.closed, false, "a burst alone is fine");
  r.conn.onTick(r.host.time); // the accept's write progressed since the start
  assert.equal(r.io.closed, false);
  r.conn.onTick(r.host.time);
  assert.equal(
    r.io.closed,
    true,
    "no write progress for a tick with 5 > 2 queued",
  );
  assert.equal(r.routed().at(-1)!.type, "cancel");
});

Deno.test("WebSocket a burst over --messages-max is fine while the client keeps up", () => {
  const k = opened({ messagesMax: 2 });
  for (let i = 1; i <= 5; i++) k.reply({ body: enc(`${i}`) }, i);
  k.conn.onTick(k.host.time);
  k.io.flush(); // the client takes everything before the next tick
  k.conn.onTick(k.host.time);
  assert.equal(k.io.closed, false);
});

Deno.test("WebSocket empty handler messages are bounded by messages-max + buffer size", () => {
  const r = opened({ messagesMax: 2, bufferSize: 256 });
  for (let i = 1; i <= 258; i++) r.reply({}, i);
  assert.equal(r.io.closed, false);
  r.reply({}, 259);
  assert.equal(r.io.closed, true);
  assert.equal(r.routed().at(-1)!.type, "cancel");
});

Deno.test("WebSocket handler ping over 125 bytes: cancel and close", () => {
  const r = opened();
  r.reply({ type: "ping", body: new Uint8Array(126) }, 1);
  assert.equal(r.io.closed, true);
  assert.deepEqual(r.routed().map((p) => p.type), ["cancel"]);
});

// ---- close handshake ----

Deno.test("WebSocket client close goes to the handler; the handler's close ends the connection", () => {
  const r = opened();
  r.send(frame(8, concat(new Uint8Array([0x03, 0xe9]), enc("going away"))));
  assert.deepEqual(r.routed().map((p) => [p.type, p.code, p.body]), [
    ["close", 1001, "going away"],
  ]);
  assert.equal(r.io.reading, false);
  r.reply({ body: enc("late") }, 1); // handler data still goes out
  r.reply({ type: "close", code: 1000, body: enc("bye") }, 2);
  const frames = serverFrames(r.written());
  assert.deepEqual(frames.map((f) => [f.opcode, latin1(f.payload)]), [
    [1, "late"],
    [8, "\x03\xe8bye"],
  ]);
  assert.equal(r.io.closed, true);
  assert.equal(r.io.graceful, true);
  assert.deepEqual(r.routed().map((p) => p.type), [], "no cancel");
});

Deno.test("WebSocket client close without payload gives a close packet without code", () => {
  const r = opened();
  r.send(frame(8, ""));
  const [p] = r.routed();
  assert.equal(p!.type, "close");
  assert.equal("code" in p!, false);
  assert.equal("body" in p!, false);
});

Deno.test("WebSocket handler close first: frame written, later handler data ignored, client close ends it", () => {
  const r = opened();
  r.reply({ type: "close" }, 1);
  assert.deepEqual(
    serverFrames(r.written()).map((f) => [f.opcode, [...f.payload]]),
    [[8, [0x03, 0xe8]]],
  );
  r.reply({ body: enc("ignored") }, 2);
  assert.equal(r.io.take(), "");
  r.send(frame(1, "still forwarded"));
  assert.deepEqual(r.routed().map((p) => p.body), ["still forwarded"]);
  assert.equal(r.io.closed, false);
  r.send(frame(8, new Uint8Array([0x03, 0xe8])));
  assert.deepEqual(r.routed().map((p) => [p.type, p.code]), [["close", 1000]]);
  assert.equal(r.io.closed, true);
  assert.equal(r.io.graceful, true);
});

Deno.test("WebSocket client EOF without a close frame sends cancel", () => {
  const r = opened();
  r.conn.onEof();
  assert.deepEqual(r.routed().map((p) => p.type), ["cancel"]);
  assert.equal(r.io.closed, true);
});

Deno.test("WebSocket handler cancel closes without a close frame", () => {
  const r = opened();
  r.reply({ type: "cancel" }, 1);
  assert.equal(r.io.closed, true);
  assert.equal(r.io.take(), "");
  assert.deepEqual(r.routed(), []);
});

// ---- protocol errors ----

const hostile: Array<[string, Uint8Array, number]> = [
  ["an unmasked frame", frame(1, "hi", { masked: false }), 1002],
  ["reserved opcode 3", frame(3, "x"), 1002],
  ["reserved opcode 11", frame(11, "x"), 1002],
  ["RSV1 without deflate", frame(1, "x", { rsv1: true }), 1002],
  ["RSV2", frame(1, "x", { rsv: 0x20 }), 1002],
  ["RSV3", frame(1, "x", { rsv: 0x10 }), 1002],
  ["a 126-byte ping", frame(9, new Uint8Array(126)), 1002],
  ["a fragmented ping", frame(9, "x", { fin: false }), 1002],
  ["a continuation without a message", frame(0, "x"), 1002],
  [
    "a new message inside a fragmented one",
    concat(frame(1, "a", { fin: false }), frame(1, "b")),
    1002,
  ],
  [
    "a ping between fragments (Condure)",
    concat(frame(1, "a", { fin: false }), frame(9, "p")),
    1002,
  ],
  ["invalid UTF-8 text", frame(1, new Uint8Array([0x61, 0xff])), 1007],
  [
    "UTF-8 split across frames, invalid",
    concat(
      frame(1, new Uint8Array([0xe2, 0x82]), { fin: false }),
      frame(0, new Uint8Array([0x41])),
    ),
    1007,
  ],
  [
    "a text message ending mid code point",
    frame(1, new Uint8Array([0x61, 0xe2, 0x82])),
    1007,
  ],
  ["close code 1005", frame(8, new Uint8Array([0x03, 0xed])), 1002],
  ["close code 999", frame(8, new Uint8Array([0x03, 0xe7])), 1002],
  ["close code 5000", frame(8, new Uint8Array([0x13, 0x88])), 1002],
  ["a 1-byte close payload", frame(8, new Uint8Array([0x03])), 1002],
  [
    "a close reason that is not UTF-8",
    frame(8, new Uint8Array([0x03, 0xe8, 0xff])),
    1007,
  ],
];

for (const [name, bytes, code] of hostile) {
  Deno.test(`WebSocket closes with ${code} and cancels on ${name}`, () => {
    const r = opened();
    r.send(bytes);
    const frames = serverFrames(r.written());
    const close = frames.at(-1)!;
    assert.equal(close.opcode, 8);
    assert.equal((close.payload[0]! << 8) | close.payload[1]!, code);
    assert.equal(r.routed().at(-1)!.type, "cancel");
    assert.equal(r.io.closed, true);
    assert.equal(r.io.graceful, true);
  });
}

Deno.test("WebSocket valid UTF-8 split across fragments passes", () => {
  const r = opened();
  r.send(concat(
    frame(1, new Uint8Array([0xe2, 0x82]), { fin: false }),
    frame(0, new Uint8Array([0xac])),
  ));
  const ps = r.routed();
  assert.deepEqual(ps.map((p) => p.more), [true, undefined]);
  assert.equal(r.io.closed, false);
});

// ---- handler packets ----

Deno.test("WebSocket handler packet with a wrong seq closes without cancel", () => {
  const r = opened();
  r.reply({ body: enc("x") }, 5);
  assert.equal(r.io.closed, true);
  assert.deepEqual(r.routed(), []);
});

Deno.test("WebSocket handler close/ping before accept is unexpected: closed, no cancel", () => {
  const r = rig();
  r.send(upgradeHead());
  r.reply({ type: "close" }, 0);
  assert.equal(r.io.closed, true);
  assert.deepEqual(r.routed(), []);
});

Deno.test("WebSocket handoff flushes, proceeds, and resumes with the new owner", () => {
  const r = opened();
  r.reply({ body: enc("x") }, 1);
  r.reply({ type: "handoff-start" }, 2);
  assert.equal(r.io.reading, false);
  assert.deepEqual(r.routed(), [], "proceed waits for the flush");
  r.io.flush();
  assert.deepEqual(r.routed().map((p) => [p.type, p.seq]), [
    ["credit", 1],
    ["handoff-proceed", 2],
  ]);
  r.send(frame(1, "queued"));
  assert.deepEqual(r.routed(), [], "paused during handoff");
  r.conn.onPacket(
    packet({ from: "h2", type: "keep-alive", ids: [{ id: enc(r.conn.id) }] }),
    3,
  );
  const moved = r.host.routed.slice(-1);
  assert.deepEqual(
    moved.map((x) => [x.to, x.packet.body, x.packet.seq]),
    [["h2", "queued", 3]],
  );
  r.reply({ from: "h2", body: enc("from h2") }, 4);
  assert.equal(latin1(serverFrames(r.written()).at(-1)!.payload), "from h2");
});

Deno.test("WebSocket keep-alives go to the handler every 45 s", () => {
  const r = opened();
  assert.equal(r.conn.keepAliveAddress(r.host.time), null);
  const addr = r.conn.keepAliveAddress(r.host.time + 45_000);
  assert.equal(new TextDecoder().decode(addr!), "h1");
});

Deno.test("WebSocket session timeout closes without cancel; stream timeout cancels", () => {
  const a = opened();
  a.conn.onTick(a.host.time + 60_000);
  assert.equal(a.io.closed, true);
  assert.deepEqual(a.routed(), []);
  const b = rig();
  b.host.streamTimeoutMs;
  const c = new FakeHost({ streamTimeoutMs: 5_000 });
  const io = new FakeIo();
  const conn = new StreamHttpConnection(c, io, {
    slot: 0,
    secure: false,
    peer: {},
  });
  io.session = conn as Flushable;
  conn.start();
  const bytes = enc(upgradeHead());
  conn.readTarget().set(bytes);
  conn.onRead(bytes.length);
  conn.onPacket(
    packet({ code: 101, ids: [{ id: enc(conn.id) }] }),
    0,
  );
  conn.onTick(c.time + 5_000);
  assert.equal(io.closed, true);
  assert.deepEqual(c.routed.map((x) => x.packet.type), ["cancel"]);
  b.conn.abort();
});

Deno.test("WebSocket frames sent before the accept are relayed after it", () => {
  const r = rig();
  r.send(concat(enc(upgradeHead()), frame(1, "early")));
  r.reply({ code: 101, reason: "Switching Protocols" }, 0);
  assert.deepEqual(r.routed().map((p) => p.body), ["early"]);
});

Deno.test("WebSocket wss:// for TLS listeners", () => {
  const host = new FakeHost();
  const io = new FakeIo();
  const conn = new StreamHttpConnection(host, io, {
    slot: 0,
    secure: true,
    peer: {},
  });
  conn.start();
  const bytes = enc(upgradeHead());
  conn.readTarget().set(bytes);
  conn.onRead(bytes.length);
  assert.equal(host.pushed[0]!.uri, "wss://example.com/chat?x=1");
  assert.equal("peer-address" in host.pushed[0]!, false);
  conn.abort();
});

// ---- permessage-deflate ----

Deno.test("WebSocket negotiates permessage-deflate only with --compression", () => {
  const ext =
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
  const on = opened({ compression: true, extra: ext });
  const off = rig({ compression: false });
  off.send(upgradeHead(ext));
  off.reply({ code: 101, reason: "Switching Protocols" }, 0);
  assert.doesNotMatch(off.io.take(), /Sec-WebSocket-Extensions/);
  const r = rig({ compression: true });
  r.send(upgradeHead(ext));
  r.reply({ code: 101, reason: "Switching Protocols" }, 0);
  assert.match(
    r.io.take(),
    /\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n$/,
  );
  const declined = rig({ compression: true });
  declined.send(upgradeHead(
    "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n",
  ));
  declined.reply({ code: 101, reason: "Switching Protocols" }, 0);
  assert.doesNotMatch(declined.io.take(), /Sec-WebSocket-Extensions/);
  for (const x of [on, off, r, declined]) x.conn.abort();
});

Deno.test("WebSocket compression round trip both ways", async () => {
  const r = opened({
    compression: true,
    extra: "Sec-WebSocket-Extensions: permessage-deflate\r\n",
  });
  using clientEnc = new DeflateEncoder({ noContextTakeover: false });
  using clientDec = new DeflateDecoder({
    noContextTakeover: false,
    maxMessageSize: 1 << 20,
  });
  const text = "hello hello hello hello ".repeat(100);
  // client → handler: compressed, in two fragments
  const half = text.length / 2;
  const p1 = clientEnc.push(enc(text.slice(0, half)), false);
  const p2 = clientEnc.push(enc(text.slice(half)), true);
  r.send(concat(
    frame(1, p1, { fin: false, rsv1: true }),
    frame(0, p2),
  ));
  const ps = r.routed();
  assert.equal(ps.map((p) => p.body ?? "").join(""), text);
  assert.equal(ps.at(-1)!.more, undefined);
  assert.ok(ps.every((p) => p["content-type"] === "text"));
  // second message reuses the context
  r.send(frame(1, clientEnc.push(enc("again"), true), { rsv1: true }));
  assert.deepEqual(r.routed().map((p) => p.body), ["again"]);
  // handler → client: RSV1 on the first frame, control frames plain
  r.reply({ body: enc(text.slice(0, 100)), more: true }, 1);
  r.reply({ body: enc(text.slice(100)) }, 2);
  r.reply({ type: "ping", body: enc("p") }, 3);
  const frames = serverFrames(r.written());
  const data = frames.filter((f) => f.opcode !== 9);
  assert.equal(data[0]!.rsv1, true);
  assert.ok(data.slice(1).every((f) => !f.rsv1 && f.opcode === 0));
  assert.equal(data.at(-1)!.fin, true);
  let out = "";
  data.forEach((f, i) => {
    out += new TextDecoder().decode(
      clientDec.push(f.payload, i === data.length - 1),
    );
  });
  assert.equal(out, text);
  const ping = frames.find((f) => f.opcode === 9)!;
  assert.equal(ping.rsv1, false);
  assert.equal(latin1(ping.payload), "p");
  // credits are the handler's uncompressed bytes
  r.io.flush();
  await Promise.resolve();
  assert.equal(
    r.routed().reduce((n, p) => n + (p.credits as number), 0),
    text.length + 1,
  );
  r.conn.abort();
});

Deno.test("WebSocket inflated client data still obeys credits", () => {
  const r = opened({
    compression: true,
    credits: 100,
    extra: "Sec-WebSocket-Extensions: permessage-deflate\r\n",
  });
  using clientEnc = new DeflateEncoder({ noContextTakeover: false });
  r.send(frame(2, clientEnc.push(new Uint8Array(5000), true), { rsv1: true }));
  let ps = r.routed();
  assert.deepEqual(ps.map((p) => [(p.body as string).length, p.more]), [[
    100,
    true,
  ]]);
  r.reply({ type: "credit", credits: 10_000 }, 1);
  ps = r.routed();
  assert.equal(
    ps.reduce((n, p) => n + (p.body as string).length, 0),
    4900,
  );
  assert.equal(ps.at(-1)!.more, undefined);
  r.conn.abort();
});

Deno.test("WebSocket RSV1 on a continuation frame with deflate is a protocol error", () => {
  const r = opened({
    compression: true,
    extra: "Sec-WebSocket-Extensions: permessage-deflate\r\n",
  });
  r.send(concat(
    frame(2, "", { fin: false }),
    frame(0, "x", { rsv1: true }),
  ));
  const close = serverFrames(r.written()).at(-1)!;
  assert.equal((close.payload[0]! << 8) | close.payload[1]!, 1002);
  assert.equal(r.io.closed, true);
});

Deno.test("WebSocket corrupt deflate data closes with 1007", () => {
  const r = opened({
    compression: true,
    extra: "Sec-WebSocket-Extensions: permessage-deflate\r\n",
  });
  r.send(frame(2, new Uint8Array([0xff, 0xff, 0xff, 0xff]), { rsv1: true }));
  const close = serverFrames(r.written()).at(-1)!;
  assert.equal((close.payload[0]! << 8) | close.payload[1]!, 1007);
  assert.equal(r.io.closed, true);
});

Deno.test("WebSocket keeps a read target valid while the read is in flight", () => {
  const r = opened({ credits: 0 });
  r.send(frame(1, "abc"));
  const target = r.conn.readTarget(); // a read is now pending into `target`
  r.reply({ type: "credit", credits: 100 }, 1); // consumes every buffered byte meanwhile
  assert.deepEqual(r.routed().map((p) => p.body), ["abc"]);
  const next = frame(1, "def");
  target.set(next);
  r.conn.onRead(next.length);
  assert.deepEqual(r.routed().map((p) => p.body), ["def"]);
});
