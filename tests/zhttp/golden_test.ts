// Golden vectors: payloads captured from the real Condure 1.9.1 (`/usr/bin/condure`) on
// loopback with a Python ZeroMQ handler (stream listener + req listener, --workers 1).
// encodePacket() given the same values must reproduce them byte for byte.
import assert from "node:assert/strict";
import {
  encodePacket,
  type OutboundPacket,
  parsePacket,
} from "../../src/zhttp/mod.ts";
import { b, latin1, one, show } from "./_util.ts";

const FROM = b("condure");
const NO_FROM = new Uint8Array(0);

const CASES: [string, OutboundPacket, string][] = [
  [
    "stream GET request (reference §5.3)",
    {
      type: "request",
      from: FROM,
      ids: one("0-0-0", 0),
      method: "GET",
      uri: "http://example.com:8080/path?x=1",
      headers: [
        [b("Host"), b("example.com:8080")],
        [b("X-Foo"), b("Bar")],
        [b("x-foo"), b("baz")],
      ],
      credits: 8192,
      stream: true,
      peerAddress: "127.0.0.1",
      peerPort: 60906,
    },
    "T284:4:from,7:condure,2:id,5:0-0-0,3:seq,1:0#3:ext,15:5:multi,4:true!}6:method,3:GET,3:uri,32:http://example.com:8080/path?x=1,7:headers,67:27:4:Host,16:example.com:8080,]14:5:X-Foo,3:Bar,]14:5:x-foo,3:baz,]]7:credits,4:8192#6:stream,4:true!12:peer-address,9:127.0.0.1,9:peer-port,5:60906#}",
  ],
  [
    "stream POST request with Content-Length (more)",
    {
      type: "request",
      from: FROM,
      ids: one("0-0-1", 0),
      method: "POST",
      uri: "http://h/p",
      headers: [[b("Host"), b("h")], [b("Content-Length"), b("20")]],
      credits: 8192,
      more: true,
      stream: true,
      peerAddress: "127.0.0.1",
      peerPort: 60906,
    },
    "T252:4:from,7:condure,2:id,5:0-0-1,3:seq,1:0#3:ext,15:5:multi,4:true!}6:method,4:POST,3:uri,10:http://h/p,7:headers,42:11:4:Host,1:h,]23:14:Content-Length,2:20,]]7:credits,4:8192#4:more,4:true!6:stream,4:true!12:peer-address,9:127.0.0.1,9:peer-port,5:60906#}",
  ],
  [
    "request body packet with more",
    {
      type: "data",
      from: FROM,
      ids: one("0-0-1", 1),
      body: b("01234"),
      more: true,
    },
    "T94:4:from,7:condure,2:id,5:0-0-1,3:seq,1:1#3:ext,15:5:multi,4:true!}4:body,5:01234,4:more,4:true!}",
  ],
  [
    "final request body packet",
    {
      type: "data",
      from: FROM,
      ids: one("0-0-1", 2),
      body: b("56789abcdefghij"),
    },
    "T91:4:from,7:condure,2:id,5:0-0-1,3:seq,1:2#3:ext,15:5:multi,4:true!}4:body,15:56789abcdefghij,}",
  ],
  [
    "credit",
    { type: "credit", from: FROM, ids: one("0-0-1", 3), credits: 5 },
    "T95:4:from,7:condure,2:id,5:0-0-1,3:seq,1:3#3:ext,15:5:multi,4:true!}4:type,6:credit,7:credits,1:5#}",
  ],
  [
    "handoff-proceed",
    { type: "handoff-proceed", from: FROM, ids: one("0-0-1", 4) },
    "T91:4:from,7:condure,2:id,5:0-0-1,3:seq,1:4#3:ext,15:5:multi,4:true!}4:type,15:handoff-proceed,}",
  ],
  [
    "cancel",
    { type: "cancel", from: FROM, ids: one("0-0-1", 5) },
    "T81:4:from,7:condure,2:id,5:0-0-1,3:seq,1:5#3:ext,15:5:multi,4:true!}4:type,6:cancel,}",
  ],
  [
    "req-mode POST request (no from/seq/credits/stream; body inline)",
    {
      type: "request",
      from: NO_FROM,
      ids: one("0-0-2"),
      method: "POST",
      uri: "http://example.org/r?a=b",
      headers: [[b("Host"), b("example.org")], [b("Content-Length"), b("5")]],
      body: b("hello"),
      peerAddress: "127.0.0.1",
      peerPort: 36210,
    },
    "T217:2:id,5:0-0-2,3:ext,15:5:multi,4:true!}6:method,4:POST,3:uri,24:http://example.org/r?a=b,7:headers,52:22:4:Host,11:example.org,]22:14:Content-Length,1:5,]]4:body,5:hello,12:peer-address,9:127.0.0.1,9:peer-port,5:36210#}",
  ],
  [
    "req-mode GET request (empty body omitted)",
    {
      type: "request",
      from: NO_FROM,
      ids: one("0-0-3"),
      method: "GET",
      uri: "http://example.org/empty",
      headers: [[b("Host"), b("example.org")]],
      body: new Uint8Array(0),
      peerAddress: "127.0.0.1",
      peerPort: 36210,
    },
    "T175:2:id,5:0-0-3,3:ext,15:5:multi,4:true!}6:method,3:GET,3:uri,24:http://example.org/empty,7:headers,26:22:4:Host,11:example.org,]]12:peer-address,9:127.0.0.1,9:peer-port,5:36210#}",
  ],
  [
    "WebSocket request (ws:// uri, no stream)",
    {
      type: "request",
      from: FROM,
      ids: one("0-1-4", 0),
      method: "GET",
      uri: "ws://example.com/ws",
      headers: [
        [b("Host"), b("example.com")],
        [b("Upgrade"), b("websocket")],
        [b("Connection"), b("Upgrade")],
        [b("Sec-WebSocket-Key"), b("dGhlIHNhbXBsZSBub25jZQ==")],
        [b("Sec-WebSocket-Version"), b("13")],
      ],
      credits: 8192,
      peerAddress: "127.0.0.1",
      peerPort: 60916,
    },
    "T356:4:from,7:condure,2:id,5:0-1-4,3:seq,1:0#3:ext,15:5:multi,4:true!}6:method,3:GET,3:uri,19:ws://example.com/ws,7:headers,167:22:4:Host,11:example.com,]22:7:Upgrade,9:websocket,]24:10:Connection,7:Upgrade,]49:17:Sec-WebSocket-Key,24:dGhlIHNhbXBsZSBub25jZQ==,]30:21:Sec-WebSocket-Version,2:13,]]7:credits,4:8192#12:peer-address,9:127.0.0.1,9:peer-port,5:60916#}",
  ],
  [
    "WS text message",
    {
      type: "data",
      from: FROM,
      ids: one("0-1-4", 1),
      contentType: "text",
      body: b("hello"),
    },
    "T103:4:from,7:condure,2:id,5:0-1-4,3:seq,1:1#3:ext,15:5:multi,4:true!}12:content-type,4:text,4:body,5:hello,}",
  ],
  [
    "WS binary message",
    {
      type: "data",
      from: FROM,
      ids: one("0-1-4", 2),
      contentType: "binary",
      body: latin1("\x00\x01bin"),
    },
    "T105:4:from,7:condure,2:id,5:0-1-4,3:seq,1:2#3:ext,15:5:multi,4:true!}12:content-type,6:binary,4:body,5:\x00\x01bin,}",
  ],
  [
    "WS fragment with more",
    {
      type: "data",
      from: FROM,
      ids: one("0-1-4", 3),
      contentType: "text",
      body: b("frag1"),
      more: true,
    },
    "T117:4:from,7:condure,2:id,5:0-1-4,3:seq,1:3#3:ext,15:5:multi,4:true!}12:content-type,4:text,4:body,5:frag1,4:more,4:true!}",
  ],
  [
    "WS final fragment",
    {
      type: "data",
      from: FROM,
      ids: one("0-1-4", 4),
      contentType: "text",
      body: b("frag2"),
    },
    "T103:4:from,7:condure,2:id,5:0-1-4,3:seq,1:4#3:ext,15:5:multi,4:true!}12:content-type,4:text,4:body,5:frag2,}",
  ],
  [
    "WS empty message (no body)",
    { type: "data", from: FROM, ids: one("0-1-4", 5), contentType: "text" },
    "T88:4:from,7:condure,2:id,5:0-1-4,3:seq,1:5#3:ext,15:5:multi,4:true!}12:content-type,4:text,}",
  ],
  [
    "WS ping",
    { type: "ping", from: FROM, ids: one("0-1-4", 6), body: b("pingdata") },
    "T97:4:from,7:condure,2:id,5:0-1-4,3:seq,1:6#3:ext,15:5:multi,4:true!}4:type,4:ping,4:body,8:pingdata,}",
  ],
  [
    "WS pong",
    { type: "pong", from: FROM, ids: one("0-1-4", 7), body: b("pongdata") },
    "T97:4:from,7:condure,2:id,5:0-1-4,3:seq,1:7#3:ext,15:5:multi,4:true!}4:type,4:pong,4:body,8:pongdata,}",
  ],
  [
    "WS ping without payload",
    { type: "ping", from: FROM, ids: one("0-1-4", 8), body: new Uint8Array(0) },
    "T79:4:from,7:condure,2:id,5:0-1-4,3:seq,1:8#3:ext,15:5:multi,4:true!}4:type,4:ping,}",
  ],
  [
    "WS close with code and reason",
    {
      type: "close",
      from: FROM,
      ids: one("0-1-4", 9),
      code: 1001,
      body: b("going away"),
    },
    "T115:4:from,7:condure,2:id,5:0-1-4,3:seq,1:9#3:ext,15:5:multi,4:true!}4:type,5:close,4:code,4:1001#4:body,10:going away,}",
  ],
  [
    "WS close without status",
    { type: "close", from: FROM, ids: one("0-2-5", 1) },
    "T80:4:from,7:condure,2:id,5:0-2-5,3:seq,1:1#3:ext,15:5:multi,4:true!}4:type,5:close,}",
  ],
  [
    "WS close with code only",
    { type: "close", from: FROM, ids: one("0-0-0", 1), code: 1000 },
    "T94:4:from,7:condure,2:id,5:0-0-0,3:seq,1:1#3:ext,15:5:multi,4:true!}4:type,5:close,4:code,4:1000#}",
  ],
  [
    "keep-alive, one id",
    { type: "keep-alive", from: FROM, ids: one("0-0-1", 2) },
    "T86:4:from,7:condure,2:id,5:0-0-1,3:seq,1:2#3:ext,15:5:multi,4:true!}4:type,10:keep-alive,}",
  ],
  [
    "keep-alive, three ids (list form)",
    {
      type: "keep-alive",
      from: FROM,
      ids: [
        { id: b("0-0-1"), seq: 3 },
        { id: b("0-1-2"), seq: 2 },
        { id: b("0-2-3"), seq: 2 },
      ],
    },
    "T153:4:from,7:condure,2:id,81:23:2:id,5:0-0-1,3:seq,1:3#}23:2:id,5:0-1-2,3:seq,1:2#}23:2:id,5:0-2-3,3:seq,1:2#}]3:ext,15:5:multi,4:true!}4:type,10:keep-alive,}",
  ],
  [
    "keep-alive, four ids (list form, two-digit seq)",
    {
      type: "keep-alive",
      from: FROM,
      ids: [
        { id: b("0-1-4"), seq: 10 },
        { id: b("0-2-5"), seq: 2 },
        { id: b("0-3-6"), seq: 2 },
        { id: b("0-4-7"), seq: 2 },
      ],
    },
    "T182:4:from,7:condure,2:id,109:24:2:id,5:0-1-4,3:seq,2:10#}23:2:id,5:0-2-5,3:seq,1:2#}23:2:id,5:0-3-6,3:seq,1:2#}23:2:id,5:0-4-7,3:seq,1:2#}]3:ext,15:5:multi,4:true!}4:type,10:keep-alive,}",
  ],
  [
    "keep-alive list form of reference §6.10",
    {
      type: "keep-alive",
      from: FROM,
      ids: [{ id: b("0-0-2b"), seq: 2 }, { id: b("0-8-2c"), seq: 2 }],
    },
    "T128:4:from,7:condure,2:id,56:24:2:id,6:0-0-2b,3:seq,1:2#}24:2:id,6:0-8-2c,3:seq,1:2#}]3:ext,15:5:multi,4:true!}4:type,10:keep-alive,}",
  ],
  [
    "shutdown cancel (list form)",
    {
      type: "cancel",
      from: FROM,
      ids: [
        { id: b("0-0-1"), seq: 4 },
        { id: b("0-1-2"), seq: 3 },
        { id: b("0-2-3"), seq: 3 },
      ],
    },
    "T148:4:from,7:condure,2:id,81:23:2:id,5:0-0-1,3:seq,1:4#}23:2:id,5:0-1-2,3:seq,1:3#}23:2:id,5:0-2-3,3:seq,1:3#}]3:ext,15:5:multi,4:true!}4:type,6:cancel,}",
  ],
];

for (const [name, packet, golden] of CASES) {
  Deno.test(`encodePacket() reproduces Condure 1.9.1's bytes: ${name}`, () => {
    const bytes = encodePacket(packet);
    assert.equal(show(bytes), golden);
    assert.equal(
      bytes.byteLength,
      bytes.buffer.byteLength,
      "exact-size output",
    );
  });
}

Deno.test("parsePacket() reads every golden vector back", () => {
  for (const [name, packet, golden] of CASES) {
    const p = parsePacket(latin1(golden));
    assert.deepEqual(p.from, packet.from, name);
    assert.deepEqual(
      p.ids.map((x) => [show(x.id), x.seq]),
      packet.ids.map((x) => [show(x.id), x.seq]),
      name,
    );
    assert.equal(p.multi, true, name);
    const expectedType = packet.type === "request" || packet.type === "data"
      ? ""
      : packet.type;
    assert.equal(p.type, expectedType, name);
  }
});
