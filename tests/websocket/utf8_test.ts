import assert from "node:assert/strict";
import { isValidUtf8, Utf8Validator } from "../../src/websocket/mod.ts";

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function reference(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random bytes biased towards UTF-8-looking sequences. */
function randomSample(rand: () => number): Uint8Array {
  const n = Math.floor(rand() * 24);
  const out = new Uint8Array(n);
  const interesting = [
    0x7f,
    0x80,
    0xbf,
    0xc0,
    0xc1,
    0xc2,
    0xdf,
    0xe0,
    0xed,
    0xef,
    0xf0,
    0xf4,
    0xf5,
    0xff,
    0xa0,
    0x9f,
    0x90,
    0x8f,
  ];
  for (let i = 0; i < n; i++) {
    const r = rand();
    out[i] = r < 0.3
      ? Math.floor(rand() * 128)
      : r < 0.6
      ? interesting[Math.floor(rand() * interesting.length)]!
      : Math.floor(rand() * 256);
  }
  return out;
}

Deno.test("`Utf8Validator` agrees with a fatal TextDecoder on random bytes, in any chunking", () => {
  const rand = prng(42);
  let valid = 0;
  for (let n = 0; n < 20_000; n++) {
    const bytes = randomSample(rand);
    const want = reference(bytes);
    if (want) valid++;
    assert.equal(isValidUtf8(bytes), want, `bytes ${Array.from(bytes)}`);
    // Split into random chunks.
    const v = new Utf8Validator();
    let ok = true;
    let pos = 0;
    while (pos < bytes.length) {
      const size = 1 + Math.floor(rand() * 4);
      ok = v.push(bytes.subarray(pos, pos + size)) && ok;
      pos += size;
    }
    assert.equal(v.end() && ok, want, `chunked ${Array.from(bytes)}`);
  }
  assert.ok(valid > 1000, `too few valid samples (${valid})`);
});

Deno.test("`Utf8Validator` agrees with a fatal TextDecoder on random valid text", () => {
  const rand = prng(7);
  for (let n = 0; n < 2000; n++) {
    let s = "";
    for (let i = 0; i < 20; i++) {
      const r = rand();
      const cp = r < 0.4
        ? Math.floor(rand() * 0x80)
        : r < 0.6
        ? 0x80 + Math.floor(rand() * 0x780)
        : r < 0.8
        ? 0x800 + Math.floor(rand() * 0xf800)
        : 0x10000 + Math.floor(rand() * 0x100000);
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      s += String.fromCodePoint(cp);
    }
    const bytes = new TextEncoder().encode(s);
    for (let split = 0; split <= bytes.length; split++) {
      const v = new Utf8Validator();
      assert.ok(v.push(bytes.subarray(0, split)));
      assert.ok(v.push(bytes.subarray(split)));
      assert.ok(v.end());
    }
  }
});

const CASES: Array<[string, number[], boolean]> = [
  ["empty", [], true],
  ["ASCII", [0x48, 0x69], true],
  ["2-byte", [0xc3, 0xa9], true],
  ["3-byte €", [0xe2, 0x82, 0xac], true],
  ["4-byte U+1F600", [0xf0, 0x9f, 0x98, 0x80], true],
  ["max U+10FFFF", [0xf4, 0x8f, 0xbf, 0xbf], true],
  ["U+FFFF", [0xef, 0xbf, 0xbf], true],
  ["last before surrogates U+D7FF", [0xed, 0x9f, 0xbf], true],
  ["first after surrogates U+E000", [0xee, 0x80, 0x80], true],
  ["overlong NUL C0 80", [0xc0, 0x80], false],
  ["overlong C1 BF", [0xc1, 0xbf], false],
  ["overlong 3-byte E0 80 80", [0xe0, 0x80, 0x80], false],
  ["overlong 3-byte E0 9F BF", [0xe0, 0x9f, 0xbf], false],
  ["overlong 4-byte F0 8F BF BF", [0xf0, 0x8f, 0xbf, 0xbf], false],
  ["high surrogate U+D800", [0xed, 0xa0, 0x80], false],
  ["low surrogate U+DFFF", [0xed, 0xbf, 0xbf], false],
  ["above U+10FFFF", [0xf4, 0x90, 0x80, 0x80], false],
  ["F5 lead", [0xf5, 0x80, 0x80, 0x80], false],
  ["FF byte", [0xff], false],
  ["lone continuation", [0x80], false],
  ["truncated 2-byte", [0xc3], false],
  ["truncated 4-byte", [0xf0, 0x9f, 0x98], false],
  ["lead byte then ASCII", [0xe2, 0x41], false],
];

for (const [name, bytes, want] of CASES) {
  Deno.test(`\`isValidUtf8()\` is ${want} for ${name}`, () => {
    assert.equal(isValidUtf8(new Uint8Array(bytes)), want);
    assert.equal(reference(new Uint8Array(bytes)), want, "reference disagrees");
  });
}

Deno.test("`Utf8Validator.push()` fails fast on a surrogate split across chunks", () => {
  const v = new Utf8Validator();
  assert.equal(v.push(new Uint8Array([0x41, 0xed])), true);
  assert.equal(v.push(new Uint8Array([0xa0])), false);
  assert.equal(v.push(new Uint8Array([0x41])), false, "stays invalid");
  assert.equal(v.end(), false);
  // end() reset it.
  assert.equal(v.push(new Uint8Array([0x41])), true);
  assert.equal(v.end(), true);
});

Deno.test("`Utf8Validator.end()` rejects a code point truncated at message end", () => {
  const v = new Utf8Validator();
  assert.equal(v.push(new Uint8Array([0xf0, 0x9f])), true);
  assert.equal(v.push(new Uint8Array([0x98])), true);
  assert.equal(v.end(), false);
});

Deno.test("`Utf8Validator.reset()` clears a pending code point", () => {
  const v = new Utf8Validator();
  v.push(new Uint8Array([0xe2, 0x82]));
  v.reset();
  assert.equal(v.push(new Uint8Array([0x41])), true);
  assert.equal(v.end(), true);
});
