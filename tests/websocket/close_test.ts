import assert from "node:assert/strict";
import {
  encodeClosePayload,
  isValidCloseCode,
  parseClosePayload,
  WsProtocolError,
} from "../../src/websocket/mod.ts";

const enc = new TextEncoder();

function assertCloseCode(fn: () => unknown, code: number): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof WsProtocolError && e.closeCode === code,
  );
}

Deno.test("`encodeClosePayload()` writes a big-endian code and the reason", () => {
  assert.deepEqual(
    encodeClosePayload(1000, enc.encode("bye")),
    new Uint8Array([0x03, 0xe8, 0x62, 0x79, 0x65]),
  );
  assert.deepEqual(
    encodeClosePayload(4999, new Uint8Array(0)),
    new Uint8Array([0x13, 0x87]),
  );
  assert.deepEqual(
    encodeClosePayload(undefined, new Uint8Array(0)),
    new Uint8Array(0),
  );
});

Deno.test("`encodeClosePayload()` rejects unsendable codes, orphan reasons and long payloads", () => {
  for (const code of [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 1000.5]) {
    assert.throws(
      () => encodeClosePayload(code, new Uint8Array(0)),
      RangeError,
      `code ${code}`,
    );
  }
  assert.throws(
    () => encodeClosePayload(undefined, enc.encode("x")),
    RangeError,
  );
  assert.throws(
    () => encodeClosePayload(1000, new Uint8Array(124)),
    RangeError,
  );
  assert.equal(encodeClosePayload(1000, new Uint8Array(123)).length, 125);
});

Deno.test("`isValidCloseCode()` follows RFC 6455 §7.4", () => {
  const valid = [
    1000,
    1001,
    1002,
    1003,
    1007,
    1008,
    1009,
    1010,
    1011,
    1012,
    1013,
    1014,
    3000,
    3999,
    4000,
    4999,
  ];
  const invalid = [
    0,
    999,
    1004,
    1005,
    1006,
    1015,
    1016,
    1100,
    2000,
    2999,
    5000,
    65535,
  ];
  for (const c of valid) assert.equal(isValidCloseCode(c), true, `${c}`);
  for (const c of invalid) assert.equal(isValidCloseCode(c), false, `${c}`);
});

Deno.test("`parseClosePayload()` parses empty, code-only and code+reason payloads", () => {
  assert.deepEqual(parseClosePayload(new Uint8Array(0)), {
    reason: new Uint8Array(0),
  });
  assert.deepEqual(parseClosePayload(new Uint8Array([0x03, 0xe8])), {
    code: 1000,
    reason: new Uint8Array(0),
  });
  const p = parseClosePayload(
    new Uint8Array([0x03, 0xe9, ...enc.encode("going away")]),
  );
  assert.equal(p.code, 1001);
  assert.equal(new TextDecoder().decode(p.reason), "going away");
});

const HOSTILE: Array<[string, number[], number]> = [
  ["a 1-byte payload", [0x03], 1002],
  ["code 1005", [0x03, 0xed], 1002],
  ["code 1006", [0x03, 0xee], 1002],
  ["code 999", [0x03, 0xe7], 1002],
  ["code 5000", [0x13, 0x88], 1002],
  ["code 0", [0x00, 0x00], 1002],
  ["code 1004", [0x03, 0xec], 1002],
  ["code 1015", [0x03, 0xf7], 1002],
  ["code 2000", [0x07, 0xd0], 1002],
  ["a non-UTF-8 reason", [0x03, 0xe8, 0xff], 1007],
  ["a reason with a surrogate", [0x03, 0xe8, 0xed, 0xa0, 0x80], 1007],
  ["a reason with a truncated code point", [0x03, 0xe8, 0xe2, 0x82], 1007],
];

for (const [name, bytes, code] of HOSTILE) {
  Deno.test(`\`parseClosePayload()\` fails ${name} with ${code}`, () => {
    assertCloseCode(() => parseClosePayload(new Uint8Array(bytes)), code);
  });
}
