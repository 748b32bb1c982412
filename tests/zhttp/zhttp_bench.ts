// Hot-path benchmarks: `deno bench tests/zhttp/zhttp_bench.ts` (not run by `deno test`).
import {
  encodePacket,
  encodePacketInto,
  type OutboundPacket,
  parsePacket,
  peekIds,
  splitAddress,
} from "../../src/zhttp/mod.ts";

const te = new TextEncoder();
const b = (s: string) => te.encode(s);

const FROM = b("condure");
const request: OutboundPacket = {
  type: "request",
  from: FROM,
  ids: [{ id: b("0-12-3a"), seq: 0 }],
  method: "GET",
  uri: "http://example.com:8080/api/items?page=2&sort=desc",
  headers: [
    [b("Host"), b("example.com:8080")],
    [
      b("User-Agent"),
      b("Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0"),
    ],
    [
      b("Accept"),
      b("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ],
    [b("Accept-Language"), b("en-US,en;q=0.5")],
    [b("Accept-Encoding"), b("gzip, deflate, br")],
    [b("Connection"), b("keep-alive")],
    [b("Cookie"), b("session=0123456789abcdef0123456789abcdef")],
    [b("Cache-Control"), b("max-age=0")],
  ],
  credits: 8192,
  stream: true,
  peerAddress: "127.0.0.1",
  peerPort: 54321,
};
const body = new Uint8Array(1024).fill(0x61);
const bodyPacket: OutboundPacket = {
  type: "data",
  from: FROM,
  ids: [{ id: b("0-12-3a"), seq: 3 }],
  body,
  more: true,
};
const credit: OutboundPacket = {
  type: "credit",
  from: FROM,
  ids: [{ id: b("0-12-3a"), seq: 4 }],
  credits: 1024,
};

// A typical response head from a handler, as it arrives on the SUB socket.
const response = b(
  "condure " + String.fromCharCode(...encodeResponse()),
);
function encodeResponse(): Uint8Array {
  const s = (x: string) => `${te.encode(x).length}:${x},`;
  const h = (n: string, v: string) => {
    const inner = s(n) + s(v);
    return `${inner.length}:${inner}]`;
  };
  const headers = h("Content-Type", "application/json") +
    h("Cache-Control", "no-cache") + h("X-Request-Id", "5f1c9a2e-77b1-4c4e");
  const map = s("from") + s("pushpin-handler-1") + s("id") + s("0-12-3a") +
    s("seq") + "1:0#" + s("code") + "3:200#" + s("reason") + s("OK") +
    s("headers") + `${headers.length}:${headers}]` + s("body") +
    s("x".repeat(512)) + s("more") + "4:true!" + s("credits") + "4:8192#";
  return te.encode(`T${map.length}:${map}}`);
}
const payload = splitAddress(response)!.payload;

Deno.bench("encodePacket(): stream GET request, 8 headers", () => {
  encodePacket(request);
});
const scratch = new Uint8Array(65536);
Deno.bench(
  "encodePacketInto(): stream GET request into a reused buffer",
  () => {
    encodePacketInto(request, scratch);
  },
);
Deno.bench("encodePacket(): 1 KiB body packet", () => {
  encodePacket(bodyPacket);
});
Deno.bench("encodePacket(): credit", () => {
  encodePacket(credit);
});
Deno.bench("parsePacket(): response head, 3 headers, 512 B body", () => {
  parsePacket(payload);
});
Deno.bench("splitAddress() + peekIds(): routing a response", () => {
  peekIds(splitAddress(response)!.payload);
});
