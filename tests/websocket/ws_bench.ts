// deno bench tests/websocket/ws_bench.ts
import { unmask, Utf8Validator } from "../../src/websocket/mod.ts";
import { DeflateEncoder } from "../../src/websocket/mod.ts";

const data = new Uint8Array(64 * 1024);
crypto.getRandomValues(data);
const unaligned = new Uint8Array(data.length + 1).subarray(1);

function naiveUnmask(buf: Uint8Array, mask: number): void {
  const key = [
    mask >>> 24,
    (mask >>> 16) & 0xff,
    (mask >>> 8) & 0xff,
    mask & 0xff,
  ];
  for (let i = 0; i < buf.length; i++) buf[i]! ^= key[i & 3]!;
}

Deno.bench({
  name: "unmask 64 KiB (aligned)",
  group: "unmask",
  baseline: true,
  n: 20_000,
}, () => {
  unmask(data, 0x37fa213d, 0);
});

Deno.bench({
  name: "unmask 64 KiB (unaligned, offset 3)",
  group: "unmask",
  n: 20_000,
}, () => {
  unmask(unaligned, 0x37fa213d, 3);
});

Deno.bench(
  { name: "byte-wise reference 64 KiB", group: "unmask", n: 2_000 },
  () => {
    naiveUnmask(data, 0x37fa213d);
  },
);

Deno.bench({ name: "unmask 125 bytes", n: 200_000 }, () => {
  unmask(data.subarray(0, 125), 0x37fa213d, 0);
});

const text = new TextEncoder().encode("héllo wörld, ".repeat(5042)).subarray(
  0,
  64 * 1024 - 3,
);
const validator = new Utf8Validator();
Deno.bench({ name: "Utf8Validator 64 KiB mixed text", n: 5_000 }, () => {
  validator.push(text);
  validator.end();
});

const json = new TextEncoder().encode(
  JSON.stringify({
    type: "update",
    id: 12345,
    items: [1, 2, 3],
    text: "hello",
  }),
);
const encoder = new DeflateEncoder({ noContextTakeover: false });
Deno.bench({
  name: "DeflateEncoder small JSON message (context takeover)",
  n: 50_000,
}, () => {
  encoder.push(json, true);
});
