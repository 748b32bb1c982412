import assert from "node:assert/strict";
import {
  encodePacket,
  encodePacketInto,
  IDS_MAX,
  type OutboundPacket,
  parsePacket,
} from "../../src/zhttp/mod.ts";
import { b, one, show } from "./_util.ts";

// ---- round trips ----

Deno.test("parsePacket(encodePacket(p)) round-trips the fields both sides share", () => {
  const packets: OutboundPacket[] = [
    {
      type: "data",
      from: b("condure"),
      ids: one("0-0-0", 3),
      body: b("xyz"),
      more: true,
      contentType: "binary",
    },
    {
      type: "credit",
      from: b("condure"),
      ids: one("1-2-3", 9),
      credits: 123456,
    },
    {
      type: "close",
      from: b("condure"),
      ids: one("0-0-0", 1),
      code: 1001,
      body: b("going away"),
    },
    { type: "ping", from: b("c"), ids: one("0-0-0", 0), body: b("p") },
    { type: "pong", from: b("c"), ids: one("0-0-0", 0) },
    {
      type: "cancel",
      from: b("c"),
      ids: [{ id: b("a"), seq: 1 }, { id: b("b") }],
    },
    { type: "handoff-proceed", from: new Uint8Array(0), ids: one("z") },
  ];
  for (const out of packets) {
    const p = parsePacket(encodePacket(out));
    assert.deepEqual(p.from, out.from);
    assert.deepEqual(p.ids, out.ids.map((x) => ({ ...x })));
    assert.equal(p.multi, true);
    switch (out.type) {
      case "data":
        assert.equal(p.type, "");
        assert.deepEqual(p.body, out.body);
        assert.equal(p.more, true);
        assert.equal(p.contentType, "binary");
        break;
      case "credit":
        assert.equal(p.credits, out.credits);
        break;
      case "close":
        assert.equal(p.code, out.code);
        assert.deepEqual(p.body, out.body);
        break;
      default:
        assert.equal(p.type, out.type);
    }
  }
});

Deno.test("encodePacket() of a request parses back with its headers", () => {
  const headers = Array.from(
    { length: 30 },
    (_, i) => [b(`Name-${i}`), b("v".repeat(i * 10))] as const,
  );
  const bytes = encodePacket({
    type: "request",
    from: b("condure"),
    ids: one("0-0-0", 0),
    method: "PÖST",
    uri: "http://h/ü",
    headers,
    credits: 8192,
    more: true,
    stream: true,
    peerAddress: "::1",
    peerPort: 1,
  });
  assert.ok(bytes.length > 1000);
  const p = parsePacket(bytes);
  assert.equal(p.headers?.length, 30);
  assert.deepEqual(p.headers?.[29], [b("Name-29"), b("v".repeat(290))]);
  assert.equal(p.credits, 8192);
  assert.equal(p.more, true);
  assert.match(
    show(bytes),
    /6:method,5:P\xc3\x96ST,3:uri,11:http:\/\/h\/\xc3\xbc,/,
  );
});

Deno.test("encodePacket() leaves out what Condure leaves out", () => {
  const s = (p: OutboundPacket) => show(encodePacket(p));
  const base = { from: new Uint8Array(0), ids: one("a") };
  assert.equal(
    s({ ...base, type: "data" }),
    "T34:2:id,1:a,3:ext,15:5:multi,4:true!}}",
  );
  assert.equal(
    s({
      ...base,
      type: "request",
      method: "",
      uri: "",
      headers: [],
      credits: 0,
      more: false,
      stream: false,
      peerAddress: "",
    }),
    "T34:2:id,1:a,3:ext,15:5:multi,4:true!}}",
  );
  // A close body without a code is not written (Condure's CloseData).
  assert.equal(
    s({ ...base, type: "close", body: b("x") }),
    "T49:2:id,1:a,3:ext,15:5:multi,4:true!}4:type,5:close,}",
  );
  // peer-port defaults to 0 when only the address is given.
  assert.match(
    s({
      ...base,
      type: "request",
      method: "GET",
      uri: "u",
      headers: [],
      peerAddress: "1.2.3.4",
    }),
    /9:peer-port,1:0#}$/,
  );
  // No ids at all: no id key.
  assert.equal(
    s({ from: b("c"), ids: [], type: "cancel" }),
    "T52:4:from,1:c,3:ext,15:5:multi,4:true!}4:type,6:cancel,}",
  );
});

Deno.test("encodePacket() rejects too many ids and out-of-range integers", () => {
  const ids = Array.from(
    { length: IDS_MAX + 1 },
    () => ({ id: b("x"), seq: 0 }),
  );
  assert.throws(
    () => encodePacket({ type: "cancel", from: b("c"), ids }),
    RangeError,
  );
  assert.doesNotThrow(() =>
    encodePacket({ type: "cancel", from: b("c"), ids: ids.slice(1) })
  );
  assert.throws(
    () =>
      encodePacket({
        type: "credit",
        from: b("c"),
        ids: one("a", 0),
        credits: -1,
      }),
    RangeError,
  );
  assert.throws(
    () =>
      encodePacket({
        type: "credit",
        from: b("c"),
        ids: one("a", 1.5),
        credits: 1,
      }),
    RangeError,
  );
  assert.throws(
    () =>
      encodePacket({
        type: "close",
        from: b("c"),
        ids: one("a", 0),
        code: 70000,
      }),
    RangeError,
  );
  assert.throws(
    () =>
      encodePacket({
        type: "request",
        from: b("c"),
        ids: one("a"),
        method: "GET",
        uri: "/",
        headers: [],
        peerAddress: "x",
        peerPort: 65536,
      }),
    RangeError,
  );
});

Deno.test("encodePacketInto() writes at an offset and reports the size it needs", () => {
  const packet: OutboundPacket = {
    type: "cancel",
    from: b("condure"),
    ids: one("0-0-1", 5),
  };
  const expected = encodePacket(packet);
  const buf = new Uint8Array(200).fill(0xee);
  const end = encodePacketInto(packet, buf, 10);
  assert.equal(end, 10 + expected.length);
  assert.deepEqual(buf.subarray(10, end), expected);
  assert.equal(buf[9], 0xee);
  assert.equal(buf[end], 0xee);
  const small = new Uint8Array(expected.length - 1);
  assert.equal(encodePacketInto(packet, small), -expected.length);
  assert.ok(small.every((x) => x === 0), "nothing written");
  assert.equal(
    encodePacketInto(packet, new Uint8Array(expected.length)),
    expected.length,
  );
});
