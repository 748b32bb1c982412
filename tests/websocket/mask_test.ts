import assert from "node:assert/strict";
import { unmask } from "../../src/websocket/mod.ts";

function naive(data: Uint8Array, mask: number, offset: number): Uint8Array {
  const key = [
    mask >>> 24,
    (mask >>> 16) & 0xff,
    (mask >>> 8) & 0xff,
    mask & 0xff,
  ];
  return data.map((b, i) => b ^ key[(offset + i) & 3]!);
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, i + 65536));
  }
  return out;
}

Deno.test('`unmask()` decodes the RFC 6455 §5.7 masked "Hello"', () => {
  const payload = new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  unmask(payload, 0x37fa213d, 0);
  assert.equal(new TextDecoder().decode(payload), "Hello");
});

Deno.test('`unmask()` decodes the RFC 6455 §5.7 masked "Hello" split at every point', () => {
  for (let split = 0; split <= 5; split++) {
    const payload = new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    unmask(payload.subarray(0, split), 0x37fa213d, 0);
    unmask(payload.subarray(split), 0x37fa213d, split);
    assert.equal(new TextDecoder().decode(payload), "Hello", `split ${split}`);
  }
});

Deno.test("`unmask()` matches a byte-wise reference for every alignment, offset and length", () => {
  const backing = randomBytes(300);
  const masks = [0x37fa213d, 0xffffffff, 0x00000001, 0x80000000, 0x12345678];
  for (const mask of masks) {
    for (let start = 0; start < 8; start++) {
      for (const len of [0, 1, 3, 4, 5, 31, 32, 33, 63, 64, 65, 100, 257]) {
        for (let offset = 0; offset < 6; offset++) {
          const copy = backing.slice();
          const view = copy.subarray(start, start + len);
          const want = naive(view, mask, offset);
          unmask(view, mask, offset);
          assert.deepEqual(
            view,
            want,
            `mask ${mask} start ${start} len ${len} offset ${offset}`,
          );
          // Bytes around the view are untouched.
          assert.deepEqual(copy.subarray(0, start), backing.subarray(0, start));
          assert.deepEqual(
            copy.subarray(start + len),
            backing.subarray(start + len),
          );
        }
      }
    }
  }
});

Deno.test("`unmask()` applied twice restores the data (large buffer, chunked)", () => {
  const original = randomBytes(200_003);
  const data = original.slice();
  const mask = 0xdeadbeef;
  let pos = 0;
  for (const size of [1, 7, 65536, 13, 100_000, 34_446]) {
    unmask(data.subarray(pos, pos + size), mask, pos);
    pos += size;
  }
  assert.equal(pos, data.length);
  assert.deepEqual(data, naive(original, mask, 0));
  unmask(data, mask, 0);
  assert.deepEqual(data, original);
});

Deno.test("`unmask()` with mask 0 leaves data unchanged", () => {
  const data = new Uint8Array([1, 2, 3]);
  unmask(data, 0, 1);
  assert.deepEqual(data, new Uint8Array([1, 2, 3]));
});
