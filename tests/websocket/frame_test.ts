import assert from "node:assert/strict";
import {
  encodeFrameHeader,
  frameHeaderSize,
  MAX_FRAME_HEADER_SIZE,
  Opcode,
  parseFrameHeader,
  writeFrameHeader,
  WsProtocolError,
} from "../../src/websocket/mod.ts";

const CLIENT = { requireMask: true, allowRsv1: false };
const LAX = { requireMask: false, allowRsv1: true };

const LENGTHS = [
  0,
  1,
  125,
  126,
  127,
  65535,
  65536,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 32 + 5,
  2 ** 53 - 1,
];

function expectedSize(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

function assertCloseCode(fn: () => unknown, code: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(
      e instanceof WsProtocolError,
      `expected WsProtocolError, got ${e}`,
    );
    assert.equal(e.closeCode, code);
    return true;
  });
}

Deno.test("`encodeFrameHeader()` and `parseFrameHeader()` round-trip every length class", () => {
  for (const payloadLength of LENGTHS) {
    for (const mask of [undefined, 0x01020304, 0xffffffff]) {
      const opts = mask === undefined
        ? { fin: true, opcode: Opcode.Binary, payloadLength }
        : { fin: false, rsv1: true, opcode: Opcode.Text, payloadLength, mask };
      const bytes = encodeFrameHeader(opts);
      const size = expectedSize(payloadLength) + (mask === undefined ? 0 : 4);
      assert.equal(bytes.length, size, `length ${payloadLength}`);
      assert.equal(frameHeaderSize(opts), size);
      const h = parseFrameHeader(bytes, LAX);
      assert.deepEqual(h, {
        fin: mask === undefined,
        rsv1: mask !== undefined,
        opcode: opts.opcode,
        masked: mask !== undefined,
        mask: mask ?? 0,
        payloadLength,
        headerSize: size,
      });
    }
  }
});

Deno.test("`encodeFrameHeader()` writes the RFC 6455 §5.7 example headers", () => {
  assert.deepEqual(
    encodeFrameHeader({ fin: true, opcode: Opcode.Text, payloadLength: 5 }),
    new Uint8Array([0x81, 0x05]),
  );
  assert.deepEqual(
    encodeFrameHeader({ fin: true, opcode: Opcode.Binary, payloadLength: 256 }),
    new Uint8Array([0x82, 0x7e, 0x01, 0x00]),
  );
  assert.deepEqual(
    encodeFrameHeader({
      fin: true,
      opcode: Opcode.Binary,
      payloadLength: 65536,
    }),
    new Uint8Array([0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]),
  );
  assert.deepEqual(
    encodeFrameHeader({
      fin: true,
      opcode: Opcode.Text,
      payloadLength: 5,
      mask: 0x37fa213d,
    }),
    new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]),
  );
  assert.deepEqual(
    encodeFrameHeader({ fin: false, opcode: Opcode.Text, payloadLength: 3 }),
    new Uint8Array([0x01, 0x03]),
  );
});

Deno.test("`parseFrameHeader()` returns null for every strict prefix of a header", () => {
  for (const payloadLength of LENGTHS) {
    const bytes = encodeFrameHeader({
      fin: true,
      opcode: Opcode.Binary,
      payloadLength,
      mask: 0xa1b2c3d4,
    });
    for (let i = 0; i < bytes.length; i++) {
      assert.equal(
        parseFrameHeader(bytes.subarray(0, i), CLIENT),
        null,
        `prefix ${i}`,
      );
    }
    // With payload bytes following, the header is still parsed alone.
    const withPayload = new Uint8Array(bytes.length + 3);
    withPayload.set(bytes);
    assert.equal(
      parseFrameHeader(withPayload, CLIENT)?.headerSize,
      bytes.length,
    );
  }
});

Deno.test("`parseFrameHeader()` reads a header at a non-zero byteOffset", () => {
  const buf = new Uint8Array(20);
  buf.set([0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4], 7);
  const h = parseFrameHeader(buf.subarray(7), CLIENT);
  assert.equal(h?.payloadLength, 256);
  assert.equal(h?.mask, 0x01020304);
  assert.equal(h?.headerSize, 8);
});

Deno.test("`parseFrameHeader()` accepts non-minimal length encodings", () => {
  const h = parseFrameHeader(
    new Uint8Array([0x82, 0xfe, 0, 5, 1, 2, 3, 4]),
    CLIENT,
  );
  assert.equal(h?.payloadLength, 5);
  const h8 = parseFrameHeader(
    new Uint8Array([0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4]),
    CLIENT,
  );
  assert.equal(h8?.payloadLength, 5);
});

Deno.test("`parseFrameHeader()` allows RSV1 on a first data frame when negotiated", () => {
  const opts = { requireMask: true, allowRsv1: true };
  assert.equal(
    parseFrameHeader(new Uint8Array([0xc1, 0x80, 0, 0, 0, 0]), opts)?.rsv1,
    true,
  );
  assert.equal(
    parseFrameHeader(new Uint8Array([0x42, 0x80, 0, 0, 0, 0]), opts)?.rsv1,
    true,
  );
});

Deno.test("`parseFrameHeader()` accepts control frames of exactly 125 bytes", () => {
  for (const op of [0x88, 0x89, 0x8a]) {
    assert.equal(
      parseFrameHeader(new Uint8Array([op, 0xfd, 0, 0, 0, 0]), CLIENT)
        ?.payloadLength,
      125,
    );
  }
});

/** Hostile frame headers from a client, each with the close code it must cause. */
const HOSTILE_HEADERS: Array<
  [string, number[], number, { requireMask: boolean; allowRsv1: boolean }?]
> = [
  ["unmasked client text frame", [0x81, 0x05], 1002],
  ["unmasked client close frame", [0x88, 0x00], 1002],
  ["RSV2 set", [0xa1, 0x80], 1002],
  ["RSV3 set", [0x91, 0x80], 1002],
  ["RSV1 without negotiation", [0xc1, 0x80], 1002],
  ["RSV1 on a continuation frame", [0xc0, 0x80], 1002, {
    requireMask: true,
    allowRsv1: true,
  }],
  ["RSV1 on a ping", [0xc9, 0x80], 1002, {
    requireMask: true,
    allowRsv1: true,
  }],
  ["reserved opcode 3", [0x83, 0x80], 1002],
  ["reserved opcode 7", [0x87, 0x80], 1002],
  ["reserved opcode 11", [0x8b, 0x80], 1002],
  ["reserved opcode 15", [0x8f, 0x80], 1002],
  ["fragmented ping", [0x09, 0x80], 1002],
  ["fragmented close", [0x08, 0x80], 1002],
  ["ping of 126 bytes", [0x89, 0xfe, 0x00, 0x7e], 1002],
  ["close of 127-length class", [0x88, 0xff], 1002],
  ["pong with 7-bit length 126", [0x8a, 0xfe], 1002],
  ["64-bit length with the top bit set", [
    0x82,
    0xff,
    0x80,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ], 1002],
  ["64-bit length of 2^56", [0x82, 0xff, 0x01, 0, 0, 0, 0, 0, 0, 0], 1009],
  ["64-bit length of 2^53", [0x82, 0xff, 0x00, 0x20, 0, 0, 0, 0, 0, 0], 1009],
];

for (const [name, bytes, code, opts] of HOSTILE_HEADERS) {
  Deno.test(`\`parseFrameHeader()\` fails a ${name} with ${code}`, () => {
    assertCloseCode(
      () =>
        parseFrameHeader(
          new Uint8Array([...bytes, 1, 2, 3, 4]),
          opts ?? CLIENT,
        ),
      code,
    );
  });
}

Deno.test("`parseFrameHeader()` fails a bad first byte before the rest arrives", () => {
  assertCloseCode(() => parseFrameHeader(new Uint8Array([0x83]), CLIENT), 1002);
  assertCloseCode(() => parseFrameHeader(new Uint8Array([0xa1]), CLIENT), 1002);
  assertCloseCode(
    () => parseFrameHeader(new Uint8Array([0x82, 0xff, 0x80]), CLIENT),
    1002,
  );
});

Deno.test("`parseFrameHeader()` accepts unmasked frames when the mask is not required", () => {
  const h = parseFrameHeader(new Uint8Array([0x81, 0x05]), {
    requireMask: false,
    allowRsv1: false,
  });
  assert.deepEqual(h, {
    fin: true,
    rsv1: false,
    opcode: 1,
    masked: false,
    mask: 0,
    payloadLength: 5,
    headerSize: 2,
  });
});

Deno.test("`writeFrameHeader()` writes into a larger buffer and returns the size", () => {
  const out = new Uint8Array(MAX_FRAME_HEADER_SIZE);
  assert.equal(
    writeFrameHeader(out, {
      fin: true,
      opcode: Opcode.Pong,
      payloadLength: 125,
    }),
    2,
  );
  assert.deepEqual(out.subarray(0, 2), new Uint8Array([0x8a, 125]));
  assert.equal(
    writeFrameHeader(out, {
      fin: true,
      opcode: 2,
      payloadLength: 2 ** 40,
      mask: 1,
    }),
    14,
  );
});

Deno.test("`writeFrameHeader()` rejects what a server must never send", () => {
  const out = new Uint8Array(14);
  assert.throws(
    () => writeFrameHeader(out, { fin: true, opcode: 3, payloadLength: 0 }),
    RangeError,
  );
  assert.throws(
    () => writeFrameHeader(out, { fin: false, opcode: 9, payloadLength: 0 }),
    RangeError,
  );
  assert.throws(
    () => writeFrameHeader(out, { fin: true, opcode: 8, payloadLength: 126 }),
    RangeError,
  );
  assert.throws(
    () =>
      writeFrameHeader(out, {
        fin: true,
        rsv1: true,
        opcode: 8,
        payloadLength: 2,
      }),
    TypeError,
  );
  assert.throws(
    () => writeFrameHeader(out, { fin: true, opcode: 2, payloadLength: -1 }),
    RangeError,
  );
  assert.throws(
    () => writeFrameHeader(out, { fin: true, opcode: 2, payloadLength: 1.5 }),
    RangeError,
  );
  assert.throws(
    () =>
      writeFrameHeader(out, { fin: true, opcode: 2, payloadLength: 2 ** 53 }),
    RangeError,
  );
  assert.throws(
    () =>
      writeFrameHeader(new Uint8Array(3), {
        fin: true,
        opcode: 2,
        payloadLength: 300,
      }),
    RangeError,
  );
});
