// `deno bench tests/tnetstring/tnetstring_bench.ts` (not run by `deno test`).
// Compares the writer's two container modes: length known up front (no move) vs
// reserved prefix (one memmove when the length does not have exactly 3 digits).
import { decode, encode, TnetWriter } from "../../src/tnetstring/mod.ts";

const te = new TextEncoder();
const headers = Array.from(
  { length: 8 },
  (_, i) =>
    [
      te.encode(`Header-${i}`),
      te.encode(`value number ${i} `.repeat(3)),
    ] as const,
);
const itemLen = (h: readonly [Uint8Array, Uint8Array]) =>
  `${h[0].length}`.length + h[0].length + 2 + `${h[1].length}`.length +
  h[1].length + 2;
const listLen = headers.reduce((n, h) => {
  const l = itemLen(h);
  return n + `${l}`.length + l + 2;
}, 0);

Deno.bench("TnetWriter: 8 headers, reserved prefixes (moves)", {
  group: "writer",
}, () => {
  const w = new TnetWriter(1024);
  w.beginList();
  for (const [n, v] of headers) {
    w.beginList().writeBytes(n).writeBytes(v).endList();
  }
  w.endList().finish();
});
Deno.bench("TnetWriter: 8 headers, known lengths (no moves)", {
  group: "writer",
  baseline: true,
}, () => {
  const w = new TnetWriter(1024);
  w.beginList(listLen);
  for (const h of headers) {
    w.beginList(itemLen(h)).writeBytes(h[0]).writeBytes(h[1]).endList();
  }
  w.endList().finish();
});
const value = new Map<string, unknown>([
  ["id", te.encode("0-0-0")],
  ["seq", 3],
  ["headers", headers.map(([n, v]) => [n, v])],
]);
const bytes = encode(value as never);
Deno.bench("encode(): generic map with 8 headers", () => {
  encode(value as never);
});
Deno.bench("decode(): generic map with 8 headers", () => {
  decode(bytes);
});
