import assert from "node:assert/strict";
import zlib from "node:zlib";
import {
  DeflateDecoder,
  DeflateEncoder,
  WsProtocolError,
} from "../../src/websocket/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const TAIL = [0x00, 0x00, 0xff, 0xff];
const ENGINES = [{ portable: false, name: "native" }, {
  portable: true,
  name: "portable",
}];

function hex(s: string): Uint8Array {
  return new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Deterministic pseudo-random text with repetition, so deflate has something to find. */
function sampleMessage(seed: number, size: number): Uint8Array {
  const words = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    '{"id":',
    '"type":"update"',
    "€",
    "\n",
  ];
  let x = seed * 2654435761 >>> 0;
  let s = "";
  while (s.length < size) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += words[x % words.length] + (x % 7 === 0 ? String(x) : " ");
  }
  return enc.encode(s).subarray(0, size);
}

function assertCloseCode(fn: () => unknown, code: number): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof WsProtocolError && e.closeCode === code,
  );
}

for (const { portable, name } of ENGINES) {
  Deno.test(`\`DeflateDecoder\` (${name}) inflates the RFC 7692 §7.2.3 examples`, () => {
    using d = new DeflateDecoder({
      noContextTakeover: false,
      maxMessageSize: 1000,
      portable,
    });
    // §7.2.3.1 one compressed block (frame 0xc1 0x07 …)
    assert.equal(dec.decode(d.push(hex("f248cdc9c90700"), true)), "Hello");
    // §7.2.3.2 second "Hello" using the shared LZ77 window
    assert.equal(dec.decode(d.push(hex("f200110000"), true)), "Hello");
    // §7.2.3.1 fragmented into two frames
    const a = d.push(hex("f248cd"), false);
    const b = d.push(hex("c9c90700"), true);
    assert.equal(dec.decode(concat([a, b])), "Hello");
    // §7.2.3.3 a stored (uncompressed) block
    assert.equal(
      dec.decode(d.push(hex("000500faff48656c6c6f00"), true)),
      "Hello",
    );
    // §7.2.3.5 two DEFLATE blocks in one message
    assert.equal(
      dec.decode(
        d.push(hex("f248050000 00ffffcac9c90700".replace(" ", "")), true),
      ),
      "Hello",
    );
    // §7.2.3.6 an empty message
    assert.equal(d.push(hex("00"), true).length, 0);
  });

  Deno.test(`\`DeflateDecoder\` (${name}) accepts a message ending with BFINAL and starts afresh`, () => {
    using d = new DeflateDecoder({
      noContextTakeover: false,
      maxMessageSize: 1000,
      portable,
    });
    // §7.2.3.4 a block with BFINAL set
    assert.equal(dec.decode(d.push(hex("f348cdc9c90700"), true)), "Hello");
    assert.equal(dec.decode(d.push(hex("f248cdc9c90700"), true)), "Hello");
  });

  Deno.test(`\`DeflateDecoder\` (${name}) inflates Python zlib output with context takeover`, () => {
    using d = new DeflateDecoder({
      noContextTakeover: false,
      maxMessageSize: 1000,
      portable,
    });
    // Made by Python's zlib.compressobj(6, DEFLATED, -15) + flush(Z_SYNC_FLUSH), tail removed.
    const fixtures: Array<[string, string]> = [
      ["f248cdc9c9d751c840a214caf38b7252140100", "Hello, hello, hello world!"],
      ["f2c029a390989e98990700", "Hello, hello, hello world! again"],
      ["aa18054403e4b00400", "x".repeat(300) + "Hello, hello"],
    ];
    for (const [compressed, text] of fixtures) {
      const bytes = hex(compressed);
      // Split into 1-byte frames for the streaming engine's sake.
      const parts: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i++) {
        parts.push(d.push(bytes.subarray(i, i + 1), false));
      }
      parts.push(d.push(new Uint8Array(0), true));
      assert.equal(dec.decode(concat(parts)), text);
    }
  });

  for (const noContextTakeover of [false, true]) {
    Deno.test(
      `\`DeflateEncoder\` (${name}) round-trips messages ${
        noContextTakeover ? "without" : "with"
      } context takeover`,
      () => {
        using e = new DeflateEncoder({ noContextTakeover, portable });
        using d = new DeflateDecoder({
          noContextTakeover,
          maxMessageSize: 1 << 22,
          portable,
        });
        const wire: Uint8Array[] = [];
        const plain: Uint8Array[] = [];
        const sizes = [0, 1, 5, 100, 1000, 5000, 100, 65536, 70000, 3, 300_000];
        for (const [i, size] of sizes.entries()) {
          const msg = sampleMessage(i % 3, size);
          plain.push(msg);
          // Push in a few chunks, the last possibly empty.
          const cuts = [
            0,
            Math.floor(size / 3),
            Math.floor(size / 2),
            size,
            size,
          ];
          const frames: Uint8Array[] = [];
          for (let c = 0; c + 1 < cuts.length; c++) {
            frames.push(
              e.push(msg.subarray(cuts[c], cuts[c + 1]), c + 2 === cuts.length),
            );
          }
          const payload = concat(frames);
          assert.ok(payload.length > 0, "even an empty message has a payload");
          const last = frames[frames.length - 1]!;
          if (last.length >= 4) {
            assert.notDeepEqual(
              last.subarray(last.length - 4),
              new Uint8Array(TAIL),
              "trailer stripped",
            );
          }
          wire.push(payload);
          // Our decoder, frame by frame.
          const out = concat(
            frames.map((f, j) => d.push(f, j === frames.length - 1)),
          );
          assert.deepEqual(out, msg, `message ${i} (${size} bytes)`);
        }
        // node:zlib: the whole session as one raw stream, each message with its tail put back.
        const stream = concat(wire.flatMap((p) => [p, new Uint8Array(TAIL)]));
        const all = zlib.inflateRawSync(stream, {
          finishFlush: zlib.constants.Z_SYNC_FLUSH,
        });
        assert.deepEqual(new Uint8Array(all), concat(plain));
      },
    );
  }

  Deno.test(`\`DeflateEncoder\` (${name}) gives the RFC 7692 "Hello" and an empty message as 00`, () => {
    using e = new DeflateEncoder({ noContextTakeover: true, portable });
    assert.deepEqual(e.push(enc.encode("Hello"), true), hex("f248cdc9c90700"));
    assert.deepEqual(e.push(new Uint8Array(0), true), hex("00"));
    assert.deepEqual(e.push(enc.encode("Hello"), true), hex("f248cdc9c90700"));
  });

  Deno.test(`\`DeflateDecoder\` (${name}) fails a decompression bomb with 1009`, () => {
    const bomb = zlib.deflateRawSync(new Uint8Array(4 << 20), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    assert.ok(bomb.length < 8000);
    using d = new DeflateDecoder({
      noContextTakeover: false,
      maxMessageSize: 1 << 20,
      portable,
    });
    assertCloseCode(() => {
      for (let i = 0; i < bomb.length; i += 1000) {
        d.push(bomb.subarray(i, i + 1000), false);
      }
      d.push(new Uint8Array(0), true);
    }, 1009);
  });

  Deno.test(`\`DeflateDecoder\` (${name}) counts a message's output across frames against the limit`, () => {
    const msg = sampleMessage(1, 3000);
    const compressed = zlib.deflateRawSync(msg, {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    using d = new DeflateDecoder({
      noContextTakeover: false,
      maxMessageSize: 2999,
      portable,
    });
    assertCloseCode(() => {
      for (let i = 0; i < compressed.length; i += 50) {
        d.push(compressed.subarray(i, i + 50), false);
      }
      d.push(new Uint8Array(0), true);
    }, 1009);
    using ok = new DeflateDecoder({
      noContextTakeover: false,
      maxMessageSize: 3000,
      portable,
    });
    assert.equal(
      ok.push(compressed.subarray(0, compressed.length - 4), true).length,
      3000,
    );
  });

  Deno.test(`\`DeflateDecoder\` (${name}) fails corrupt data with 1007`, () => {
    using d = new DeflateDecoder({
      noContextTakeover: false,
      maxMessageSize: 1000,
      portable,
    });
    assertCloseCode(() => d.push(hex("ffffffff"), true), 1007);
  });

  Deno.test(`\`DeflateDecoder\` (${name}) fails data after a final block with 1007`, () => {
    using d = new DeflateDecoder({
      noContextTakeover: false,
      maxMessageSize: 1000,
      portable,
    });
    assertCloseCode(
      () => d.push(hex("f348cdc9c90700f248cdc9c90700"), true),
      1007,
    );
  });

  Deno.test(`\`DeflateEncoder\` (${name}) throws after close()`, () => {
    const e = new DeflateEncoder({ noContextTakeover: false, portable });
    e.close();
    e.close();
    assert.throws(() => e.push(enc.encode("x"), true), TypeError);
    const d = new DeflateDecoder({
      noContextTakeover: false,
      maxMessageSize: 10,
      portable,
    });
    d.close();
    assert.throws(() => d.push(hex("00"), true), TypeError);
  });
}

Deno.test("`DeflateEncoder` (native) uses the window of earlier messages", () => {
  using e = new DeflateEncoder({ noContextTakeover: false });
  const first = e.push(enc.encode("Hello"), true);
  const second = e.push(enc.encode("Hello"), true);
  assert.deepEqual(first, hex("f248cdc9c90700"));
  assert.ok(second.length < first.length, `second ${second.length} bytes`);
  using d = new DeflateDecoder({
    noContextTakeover: false,
    maxMessageSize: 100,
  });
  assert.equal(dec.decode(d.push(first, true)), "Hello");
  assert.equal(dec.decode(d.push(second, true)), "Hello");
});

Deno.test("`DeflateEncoder` without context takeover never refers to earlier messages", () => {
  using e = new DeflateEncoder({ noContextTakeover: true });
  const msg = sampleMessage(3, 2000);
  e.push(msg, true);
  const second = e.push(msg, true);
  // Decodable on its own by a fresh inflater.
  const out = zlib.inflateRawSync(concat([second, new Uint8Array(TAIL)]), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
  assert.deepEqual(new Uint8Array(out), msg);
});

Deno.test("`DeflateEncoder` rejects an invalid level", () => {
  assert.throws(
    () => new DeflateEncoder({ noContextTakeover: false, level: 10 }),
    RangeError,
  );
});
