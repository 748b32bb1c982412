import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { computeAcceptKey } from "../../src/websocket/mod.ts";
import { sha1 } from "../../src/websocket/_sha1.ts";

Deno.test("`computeAcceptKey()` gives the RFC 6455 §1.3 sample answer", () => {
  assert.equal(
    computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  );
  assert.equal(
    computeAcceptKey(new TextEncoder().encode("dGhlIHNhbXBsZSBub25jZQ==")),
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  );
});

Deno.test("`computeAcceptKey()` matches node:crypto for random keys", () => {
  for (let i = 0; i < 200; i++) {
    const raw = new Uint8Array(16);
    crypto.getRandomValues(raw);
    const key = btoa(String.fromCharCode(...raw));
    const want = createHash("sha1").update(
      key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
    ).digest("base64");
    assert.equal(computeAcceptKey(key), want);
  }
});

Deno.test("`sha1()` matches node:crypto for every length from 0 to 300 bytes", () => {
  const data = new Uint8Array(300);
  crypto.getRandomValues(data);
  for (let n = 0; n <= 300; n++) {
    const input = data.subarray(0, n);
    const want = createHash("sha1").update(input).digest();
    assert.deepEqual(sha1(input), new Uint8Array(want), `length ${n}`);
  }
});

Deno.test('`sha1()` gives the FIPS 180 "abc" vector', () => {
  const hex = Array.from(
    sha1(new TextEncoder().encode("abc")),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
});
