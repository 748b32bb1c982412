import assert from "node:assert/strict";
import {
  IDS_MAX,
  peekIds,
  splitAddress,
  ZhttpParseError,
} from "../../src/zhttp/mod.ts";
import { b, m, pkt, show } from "./_util.ts";

// ---- splitAddress / peekIds ----

Deno.test("splitAddress() splits at the first space into views", () => {
  const frame = b("condure T0:}");
  const r = splitAddress(frame)!;
  assert.equal(show(r.address), "condure");
  assert.equal(show(r.payload), "T0:}");
  assert.equal(r.payload.buffer, frame.buffer);
  assert.equal(r.payload.byteOffset, 8);
  assert.equal(splitAddress(b("nospace")), null);
  assert.equal(splitAddress(new Uint8Array(0)), null);
  const lead = splitAddress(b(" T"))!;
  assert.equal(lead.address.length, 0);
  assert.equal(show(lead.payload), "T");
  const twice = splitAddress(b("a b c"))!;
  assert.deepEqual([show(twice.address), show(twice.payload)], ["a", "b c"]);
  assert.equal(splitAddress(b("a "))!.payload.length, 0);
  const sub = b("xxaddr Tyy").subarray(2, 8);
  const inner = splitAddress(sub)!;
  assert.deepEqual([show(inner.address), show(inner.payload)], ["addr", "T"]);
});

Deno.test("peekIds() reads string and list ids and nothing else", () => {
  assert.deepEqual(
    peekIds(pkt([["from", "h"], ["id", "0-1-2"], ["seq", "ignored"]])).map(
      show,
    ),
    ["0-1-2"],
  );
  assert.deepEqual(
    peekIds(pkt([["id", [m([["id", "a"], ["seq", "x"]]), m([["seq", 1]])]]]))
      .map(show),
    ["a", ""],
  );
  assert.deepEqual(peekIds(pkt([["type", "cancel"]])), []);
  assert.deepEqual(peekIds(pkt([["id", "a"], ["id", "b"]])).map(show), [
    "a",
    "b",
  ]);
  const payload = pkt([["id", "0-0-0"]]);
  assert.equal(peekIds(payload)[0]!.buffer, payload.buffer);
});

Deno.test("peekIds() throws Condure's errors", () => {
  const peekRejects = (payload: Uint8Array, message: string) =>
    assert.throws(
      () => peekIds(payload),
      (e: unknown) => e instanceof ZhttpParseError && e.message === message,
    );
  peekRejects(b("X"), "unrecognized data format");
  peekRejects(b("T0:]"), "root must be of type map");
  peekRejects(b("T9:2:id,"), "unexpected eof");
  peekRejects(pkt([["from", 1]]), "from must be of type string");
  peekRejects(pkt([["id", 1]]), "id must be of type map or string");
  peekRejects(pkt([["id", [1]]]), "wrong type int, expected map");
  peekRejects(pkt([["id", [m([["id", 1]])]]]), "id must be of type string");
  peekRejects(
    pkt([["id", Array.from({ length: IDS_MAX + 1 }, () => m([["id", "x"]]))]]),
    "too many ids",
  );
});
