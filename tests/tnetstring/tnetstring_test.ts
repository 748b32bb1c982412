import assert from "node:assert/strict";
import {
  decode,
  encode,
  FRAME_EOF,
  FRAME_INVALID,
  parseIntData,
  scanFrame,
  type TnetMap,
  type TnetValue,
  TnetWriter,
  TYPE_STRING,
} from "../../src/tnetstring/mod.ts";
import { prng, randInt } from "./_prng.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const b = (s: string) => te.encode(s);
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (u: Uint8Array) => td.decode(u);

const EXAMPLES: [string, TnetValue | string][] = [
  ["5:hello,", "hello"],
  ["0:,", ""],
  ["1:0#", 0],
  ["3:-42#", -42],
  ["3:3.5^", 3.5],
  ["4:true!", true],
  ["5:false!", false],
  ["0:~", null],
  ["0:]", []],
  ["12:3:foo,3:bar,]", ["foo", "bar"] as unknown as TnetValue],
  ["0:}", new Map()],
  ["12:3:foo,3:bar,}", new Map([["foo", b("bar")]])],
  [
    "32:2:id,23:19:2:id,1:a,3:seq,1:1#}]}",
    new Map<string, TnetValue>([[
      "id",
      [new Map<string, TnetValue>([["id", b("a")], ["seq", 1]])],
    ]]),
  ],
  ["16:9007199254740991#", Number.MAX_SAFE_INTEGER],
  ["17:-9007199254740991#", Number.MIN_SAFE_INTEGER],
  ["6:h\xc3\xa9llo,", "héllo"],
];

Deno.test("encode() writes the exact bytes of every type (reference §4 examples)", () => {
  for (const [expected, value] of EXAMPLES) {
    const input = Array.isArray(value)
      ? (value as unknown as string[]).map((s) => b(s))
      : value;
    assert.deepEqual(encode(input), latin1(expected), expected);
  }
});

Deno.test("decode() reads every type (reference §4 examples)", () => {
  for (const [input, expected] of EXAMPLES) {
    const bytes = latin1(input);
    const { value, end } = decode(bytes);
    assert.equal(end, bytes.length);
    const want = typeof expected === "string"
      ? b(expected)
      : Array.isArray(expected)
      ? (expected as unknown as string[]).map((s) => b(s))
      : expected;
    assert.deepEqual(value, want, input);
  }
});

Deno.test("decode() starts at an offset and ignores trailing bytes", () => {
  const bytes = b("xx1:7#4:true!garbage");
  assert.deepEqual(decode(bytes, 2), { value: 7, end: 6 });
  assert.deepEqual(decode(bytes, 6), { value: true, end: 13 });
  assert.throws(() => decode(bytes, 99), RangeError);
});

Deno.test("decode() returns byte strings as views of the input", () => {
  const bytes = b("5:hello,");
  const { value } = decode(bytes);
  assert.ok(value instanceof Uint8Array);
  assert.equal(value.buffer, bytes.buffer);
  assert.equal(value.byteOffset, 2);
});

Deno.test("decode() keeps the last value of a duplicate map key", () => {
  const { value } = decode(b("24:1:a,1:1#1:b,1:2#1:a,1:3#}"));
  assert.deepEqual(value, new Map([["a", 3], ["b", 2]]));
});

Deno.test("decode() accepts leading zeros and '+' like Condure", () => {
  assert.equal(decode(b("002:hi,")).end, 7);
  assert.equal(decode(b("2:+5#")).value, 5);
  assert.equal(decode(b("2:-0#")).value, 0);
  assert.equal(decode(b("4:1e-3^")).value, 0.001);
});

const MALFORMED: [string, string, RegExp][] = [
  ["empty input", "", /expected a length/],
  ["missing colon", "12", /has no ':'/],
  ["non-digit length", "1a:x,", /non-digit byte 0x61/],
  ["negative length", "-1:x,", /non-digit byte 0x2d/],
  ["empty length", ":x,", /length is empty/],
  ["length past the end", "10:abc,", /runs past the end/],
  ["missing type byte", "3:abc", /runs past the end/],
  ["unknown type byte", "3:abcX", /unknown type byte 0x58/],
  ["truncated", "5:hel", /runs past the end/],
  ["huge length", "99999999999999999999999:x,", /runs past the end|too large/],
  [
    "u64 overflow length",
    "18446744073709551616:x,",
    /too large|non-digit|past/,
  ],
  ["bad bool", "3:yes!", /invalid boolean "yes"/],
  ["bool with case", "4:True!", /invalid boolean/],
  ["empty int", "0:#", /invalid integer/],
  ["bad int", "2:1x#", /invalid integer "1x"/],
  ["sign only", "1:-#", /invalid integer/],
  ["int beyond i64", "20:99999999999999999999#", /invalid integer/],
  ["unsafe int", "19:9223372036854775807#", /outside the safe integer range/],
  ["bad float", "3:abc^", /invalid float/],
  ["non-empty null", "1:x~", /null must have empty data/],
  ["non-UTF-8 key", "8:2:\xff\xfe,0:~}", /map key must be a utf-8 string/],
  ["non-string key", "7:1:1#0:~}", /map key must be a utf-8 string/],
  ["key without value", "4:1:a,}", /has no value/],
  ["garbage inside list", "6:1:a,xx]", /non-digit|has no ':'/],
  ["child longer than parent", "4:5:ab]", /runs past the end/],
  ["garbage inside map", "9:1:a,1:b,z}", /has no ':'|non-digit/],
];

Deno.test("decode() rejects malformed input with a clear SyntaxError", () => {
  for (const [name, input, message] of MALFORMED) {
    assert.throws(
      () => decode(latin1(input)),
      (e: unknown) => {
        assert.ok(e instanceof SyntaxError, `${name}: ${e}`);
        assert.match(e.message, /^Cannot decode tnetstring at byte \d+: /);
        assert.match(e.message, message, name);
        return true;
      },
    );
  }
});

Deno.test("decode() rejects containers nested deeper than 64", () => {
  const nest = (n: number) => {
    let s = "0:]";
    for (let i = 0; i < n; i++) s = `${s.length}:${s}]`;
    return s;
  };
  assert.doesNotThrow(() => decode(b(nest(63))));
  assert.throws(() => decode(b(nest(64))), /nested deeper than 64/);
  // 100k levels: must fail fast without a stack overflow.
  let deep = "";
  for (let i = 0; i < 100_000; i++) deep += "9999999:";
  assert.throws(() => decode(b(deep)), SyntaxError);
});

Deno.test("encode() rejects values tnetstrings cannot carry", () => {
  assert.throws(() => encode(2 ** 53), RangeError);
  assert.throws(() => encode(NaN), RangeError);
  assert.throws(() => encode(Infinity), RangeError);
  let deep: TnetValue = [];
  for (let i = 0; i < 70; i++) deep = [deep];
  assert.throws(() => encode(deep), /nested deeper than 64/);
});

Deno.test("encode() writes lone surrogates as U+FFFD", () => {
  assert.deepEqual(encode("\ud800"), latin1("3:\xef\xbf\xbd,"));
  assert.deepEqual(encode("😀"), latin1("4:\xf0\x9f\x98\x80,"));
});

// ---- property tests ----

function randomValue(rand: () => number, depth: number): TnetValue {
  const kind = randInt(rand, depth > 3 ? 6 : 8);
  switch (kind) {
    case 0: {
      const n = randInt(rand, rand() < 0.05 ? 3000 : 20);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = randInt(rand, 256);
      return out;
    }
    case 1: {
      const r = rand();
      if (r < 0.1) return Number.MAX_SAFE_INTEGER - randInt(rand, 10);
      if (r < 0.2) return -Number.MAX_SAFE_INTEGER + randInt(rand, 10);
      return randInt(rand, 2_000_001) - 1_000_000 || 1;
    }
    case 2: {
      const f = (rand() - 0.5) * 10 ** randInt(rand, 12);
      return Number.isInteger(f) ? f + 0.5 : f;
    }
    case 3:
      return rand() < 0.5;
    case 4:
    case 5:
      return null;
    case 6: {
      const n = randInt(rand, 6);
      const out: TnetValue[] = [];
      for (let i = 0; i < n; i++) out.push(randomValue(rand, depth + 1));
      return out;
    }
    default: {
      const n = randInt(rand, 6);
      const out: TnetMap = new Map();
      for (let i = 0; i < n; i++) {
        const key = randInt(rand, 4) === 0
          ? "ключ" + i
          : Math.floor(rand() * 1e6).toString(36);
        out.set(key, randomValue(rand, depth + 1));
      }
      return out;
    }
  }
}

Deno.test("decode(encode(v)) round-trips 5000 random values (seeded)", () => {
  const rand = prng(0xc0ffee);
  for (let i = 0; i < 5000; i++) {
    const v = randomValue(rand, 0);
    const bytes = encode(v);
    const { value, end } = decode(bytes);
    assert.equal(end, bytes.length);
    assert.deepEqual(value, v, `case ${i}`);
    assert.deepEqual(encode(value), bytes);
  }
});

Deno.test("decode() never throws anything but SyntaxError on mutated encodings (seeded fuzz)", () => {
  const rand = prng(1234);
  let thrown = 0;
  for (let i = 0; i < 20000; i++) {
    const valid = encode(randomValue(rand, 0));
    const bytes = Array.from(valid);
    const edits = 1 + randInt(rand, 3);
    for (let e = 0; e < edits; e++) {
      const at = randInt(rand, bytes.length + 1);
      switch (randInt(rand, 5)) {
        case 0:
          bytes[at] = randInt(rand, 256);
          break;
        case 1:
          bytes.splice(
            at,
            0,
            "0123456789:,#^!~]}"[randInt(rand, 18)]!.charCodeAt(0),
          );
          break;
        case 2:
          bytes.splice(at, 1 + randInt(rand, 4));
          break;
        case 3:
          bytes.length = at;
          break;
        default:
          bytes[at] = "0123456789:,#^!~]}"[randInt(rand, 18)]!.charCodeAt(0);
      }
    }
    try {
      decode(Uint8Array.from(bytes));
    } catch (e) {
      thrown++;
      assert.ok(e instanceof SyntaxError, `${e} for ${JSON.stringify(bytes)}`);
    }
  }
  assert.ok(thrown > 1000);
});

// ---- TnetWriter ----

Deno.test("TnetWriter finishes containers of every length-digit count", () => {
  for (const n of [0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 123456]) {
    const payload = new Uint8Array(n).fill(0x61);
    const w = new TnetWriter(4);
    w.beginList().beginMap().writeString("k").writeBytes(payload).endMap()
      .endList();
    const out = w.finish();
    const expected = encode([new Map([["k", payload]])]);
    assert.deepEqual(out, expected, `n=${n}`);
  }
});

Deno.test("TnetWriter writes a container with a known length without moving it", () => {
  const w = new TnetWriter(11);
  w.beginList(8).writeString("a").writeInt(1).endList();
  const out = w.finish();
  assert.equal(text(out), "8:1:a,1:1#]");
  assert.equal(out.length, 11);
});

Deno.test("TnetWriter rejects a wrong known length and unbalanced containers", () => {
  assert.throws(
    () => new TnetWriter().beginList(3).writeInt(10).endList(),
    /declared 3 bytes but wrote 5/,
  );
  assert.throws(() => new TnetWriter().endMap(), /none is open/);
  assert.throws(() => new TnetWriter().beginMap().finish(), /still open/);
});

Deno.test("TnetWriter.finish() returns the buffer itself when exactly full, a copy otherwise", () => {
  const w = new TnetWriter(3);
  const first = w.writeNull().finish();
  assert.equal(first.buffer.byteLength, 3);
  const second = w.writeRaw(b("T")).writeBool(false).finish();
  assert.equal(text(second), "T5:false!");
  assert.notEqual(second.buffer, first.buffer);
  w.writeInt(5);
  w.reset();
  assert.equal(w.length, 0);
});

Deno.test("TnetWriter.writeValue() matches encode() and writes floats and negatives", () => {
  const w = new TnetWriter();
  w.writeValue([1.25, -7, "x", null]);
  assert.equal(text(w.finish()), "19:4:1.25^2:-7#1:x,0:~]");
});

// ---- scanFrame / parseIntData ----

Deno.test("scanFrame() reports eof and invalid exactly as Condure's parse_frame", () => {
  const f = { type: 0, start: 0, end: 0 };
  const scan = (s: string) => scanFrame(latin1(s), 0, s.length, f);
  assert.equal(scan("5:hello,"), 8);
  assert.equal(f.type, TYPE_STRING);
  assert.deepEqual([f.start, f.end], [2, 7]);
  assert.equal(scan(""), FRAME_EOF);
  assert.equal(scan("123"), FRAME_EOF);
  assert.equal(scan("1x:"), FRAME_INVALID);
  assert.equal(scan(":,"), FRAME_INVALID);
  assert.equal(scan("5:hi,"), FRAME_EOF);
  assert.equal(scan("2:hiX"), FRAME_INVALID);
  assert.equal(scan("18446744073709551615:x,"), FRAME_EOF);
  assert.equal(scan("18446744073709551616:x,"), FRAME_INVALID);
  assert.equal(scan("000000000000000000000000001:x,"), 30);
  // The limit bounds the frame, not the buffer.
  assert.equal(scanFrame(b("2:hi,"), 0, 4, f), FRAME_EOF);
});

Deno.test("parseIntData() follows Rust's i64 parsing", () => {
  const p = (s: string) => parseIntData(b(s), 0, s.length);
  assert.equal(p("0"), 0);
  assert.equal(p("+12"), 12);
  assert.equal(p("-12"), -12);
  assert.equal(p(""), null);
  assert.equal(p("-"), null);
  assert.equal(p("+"), null);
  assert.equal(p(" 1"), null);
  assert.equal(p("1.0"), null);
  assert.equal(p("9223372036854775807"), 9223372036854775807n);
  assert.equal(p("-9223372036854775808"), -9223372036854775808n);
  assert.equal(p("9223372036854775808"), null);
  assert.equal(p("-9223372036854775809"), null);
  assert.equal(p("00000000000000000000000001"), 1);
});
