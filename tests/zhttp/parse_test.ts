import assert from "node:assert/strict";
import {
  HEADERS_MAX,
  IDS_MAX,
  parsePacket,
  peekIds,
} from "../../src/zhttp/mod.ts";
import { hdrs, latin1, m, pkt, show } from "./_util.ts";

Deno.test("parsePacket() reads a response data packet with every field", () => {
  const payload = pkt([
    ["from", "hX"],
    ["id", "0-0-3"],
    ["seq", 2],
    ["code", 200],
    ["reason", "OK"],
    ["headers", [["Content-Type", "text/plain"], ["X-A", "1"]]],
    ["body", "part1"],
    ["more", true],
    ["credits", 100],
    ["user-data", m([["x", 1]])],
  ]);
  const p = parsePacket(payload);
  assert.equal(show(p.from), "hX");
  assert.equal(p.ids.length, 1);
  assert.equal(show(p.ids[0]!.id), "0-0-3");
  assert.equal(p.ids[0]!.seq, 2);
  assert.equal(p.type, "");
  assert.equal(p.multi, false);
  assert.equal(p.code, 200);
  assert.equal(p.reason, "OK");
  assert.deepEqual(p.headers?.map(([n, v]) => [show(n), show(v)]), [
    ["Content-Type", "text/plain"],
    ["X-A", "1"],
  ]);
  assert.equal(show(p.body), "part1");
  assert.equal(p.hasBody, true);
  assert.equal(p.more, true);
  assert.equal(p.credits, 100);
  assert.equal(p.contentType, undefined);
  // Views of the payload, no copies.
  assert.equal(p.body.buffer, payload.buffer);
  assert.equal(p.headers![0]![1].buffer, payload.buffer);
  assert.equal(p.from.buffer, payload.buffer);
});

Deno.test("parsePacket() defaults absent fields", () => {
  const p = parsePacket(pkt([["id", "a"]]));
  assert.deepEqual(p.ids.map((x) => [show(x.id), x.seq]), [["a", undefined]]);
  assert.equal(p.from.length, 0);
  assert.equal(p.type, "");
  assert.equal(p.body.length, 0);
  assert.equal(p.hasBody, false);
  assert.equal(p.more, false);
  assert.equal(p.credits, 0);
  assert.equal(p.code, undefined);
  assert.equal(p.reason, undefined);
  assert.equal(p.headers, undefined);
  assert.equal(p.condition, undefined);
  assert.deepEqual(parsePacket(latin1("T0:}")).ids, []);
});

Deno.test("parsePacket() reads the multi-id list form and ext.multi", () => {
  const p = parsePacket(pkt([
    ["from", "hX"],
    ["id", [m([["id", "0-0-1"], ["seq", 4]]), m([["id", "0-1-2"]])]],
    ["ext", m([["multi", true]])],
    ["type", "keep-alive"],
  ]));
  assert.deepEqual(p.ids.map((x) => [show(x.id), x.seq]), [["0-0-1", 4], [
    "0-1-2",
    undefined,
  ]]);
  assert.equal(p.multi, true);
  assert.equal(p.type, "keep-alive");
});

Deno.test("parsePacket() combines id and seq in any order like Condure", () => {
  const p = parsePacket(pkt([["seq", 7], ["id", "x"]]));
  assert.deepEqual(p.ids.map((x) => [show(x.id), x.seq]), [["x", 7]]);
  const q = parsePacket(pkt([["id", "x"], ["id", "y"]]));
  assert.deepEqual(q.ids.map((x) => show(x.id)), ["y"]);
});

Deno.test("parsePacket() keeps unknown types and reads only their common fields", () => {
  const p = parsePacket(
    pkt([["id", "a"], ["type", "handoff-start"], ["code", "x"]]),
  );
  assert.equal(p.type, "handoff-start");
  const u = parsePacket(pkt([["id", "a"], ["type", "bogus"], ["body", 5]]));
  assert.equal(u.type, "bogus");
  assert.equal(u.hasBody, false);
  const k = parsePacket(
    pkt([["id", "a"], ["type", "keep-alive"], ["more", 1]]),
  );
  assert.equal(k.more, false);
});

Deno.test("parsePacket() skips unknown keys without looking inside their values", () => {
  // user-data holds a frame whose content is invalid (a bool "maybe"): never inspected.
  const p = parsePacket(latin1("T29:2:id,1:a,9:user-data,5:maybe!}"));
  assert.equal(show(p.ids[0]!.id), "a");
});

Deno.test("parsePacket() lets the last duplicate scalar win and accumulates duplicate headers", () => {
  const p = parsePacket(pkt([
    ["id", "a"],
    ["code", 200],
    ["code", 404],
    ["headers", [["A", "1"]]],
    ["headers", [["B", "2"]]],
  ]));
  assert.equal(p.code, 404);
  assert.deepEqual(p.headers?.map(([n]) => show(n)), ["A", "B"]);
});

Deno.test("parsePacket() reads per-type fields: error, credit, close, ping, pong", () => {
  const e = parsePacket(pkt([
    ["id", "a"],
    ["type", "error"],
    ["condition", "rejected"],
    ["code", 403],
    ["reason", "Forbidden"],
    ["headers", [["Content-Type", "text/plain"]]],
    ["body", "nope\n"],
    ["credits", 9],
  ]));
  assert.equal(e.condition, "rejected");
  assert.equal(e.code, 403);
  assert.equal(e.reason, "Forbidden");
  assert.equal(e.headers?.length, 1);
  assert.equal(show(e.body), "nope\n");
  assert.equal(e.credits, 0, "error packets carry no credits");

  const c = parsePacket(
    pkt([["id", "a"], ["type", "credit"], ["credits", 5], ["body", "x"]]),
  );
  assert.equal(c.credits, 5);
  assert.equal(c.hasBody, false);

  const cl = parsePacket(
    pkt([["id", "a"], ["type", "close"], ["code", 1000], ["body", "bye"]]),
  );
  assert.equal(cl.code, 1000);
  assert.equal(show(cl.body), "bye");

  const pi = parsePacket(
    pkt([["id", "a"], ["type", "ping"], ["credits", 3], ["body", "p"]]),
  );
  assert.equal(pi.credits, 3);
  assert.equal(show(pi.body), "p");
  const po = parsePacket(pkt([["id", "a"], ["type", "pong"]]));
  assert.equal(po.type, "pong");
});

Deno.test("parsePacket() normalizes content-type like Condure", () => {
  const ct = (v: string) =>
    parsePacket(pkt([["id", "a"], ["content-type", v]])).contentType;
  assert.equal(ct("binary"), "binary");
  assert.equal(ct("text"), "text");
  assert.equal(ct("BINARY"), "text");
  assert.equal(ct(""), "text");
});

Deno.test("parsePacket() ignores header items after the second", () => {
  const p = parsePacket(
    pkt([["id", "a"], ["headers", [["A", "1", 5, new Map()]]]]),
  );
  assert.deepEqual(p.headers?.map(([n, v]) => [show(n), show(v)]), [[
    "A",
    "1",
  ]]);
});

Deno.test("parsePacket() accepts 64 headers and 128 ids", () => {
  const p = parsePacket(pkt([["id", "a"], ["headers", hdrs(HEADERS_MAX)]]));
  assert.equal(p.headers?.length, 64);
  const ids = Array.from(
    { length: IDS_MAX },
    (_, i) => m([["id", `i${i}`], ["seq", i]]),
  );
  assert.equal(parsePacket(pkt([["id", ids]])).ids.length, 128);
  assert.equal(peekIds(pkt([["id", ids]])).length, 128);
});

Deno.test("parsePacket() truncates out-of-range ints like Rust's `as` casts", () => {
  const p = parsePacket(
    pkt([["id", "a"], ["seq", 2 ** 32 + 3], ["code", 65536 + 200], [
      "credits",
      2 ** 32,
    ]]),
  );
  assert.equal(p.ids[0]!.seq, 3);
  assert.equal(p.code, 200);
  assert.equal(p.credits, 0);
  const big = parsePacket(
    latin1("T38:2:id,1:a,3:seq,19:9223372036854775807#}"),
  );
  assert.equal(big.ids[0]!.seq, 0xffffffff);
  assert.equal(parsePacket(pkt([["id", "a"], ["seq", 0]])).ids[0]!.seq, 0);
  assert.equal(parsePacket(latin1("T20:2:id,1:a,3:seq,2:+5#}")).ids[0]!.seq, 5);
});

Deno.test("parsePacket() accepts a valid header value that is not UTF-8", () => {
  const p = parsePacket(latin1("T34:2:id,1:a,7:headers,11:8:1:A,1:\xff,]]}"));
  assert.deepEqual(Array.from(p.headers![0]![1]), [0xff]);
});
