// Hostile client byte streams run through the codec the way a session would use it (header,
// unmask, UTF-8 across frames, close payload), each with the close code it must produce, fed
// whole and one byte at a time.
import assert from "node:assert/strict";
import {
  encodeFrameHeader,
  Opcode,
  parseClosePayload,
  parseFrameHeader,
  unmask,
  Utf8Validator,
  WsProtocolError,
} from "../../src/websocket/mod.ts";

const MASK = 0x37fa213d;

/** A masked client frame. */
function frame(
  opcode: number,
  payload: number[] | string,
  options: { fin?: boolean; masked?: boolean } = {},
): number[] {
  const bytes = typeof payload === "string"
    ? new TextEncoder().encode(payload)
    : new Uint8Array(payload);
  const masked = options.masked ?? true;
  const header = encodeFrameHeader({
    fin: options.fin ?? true,
    opcode,
    payloadLength: bytes.length,
    ...(masked ? { mask: MASK } : {}),
  });
  const body = bytes.slice();
  if (masked) unmask(body, MASK, 0);
  return [...header, ...body];
}

/**
 * Reads a client byte stream delivered in `chunkSize` pieces; returns the close code of the
 * first violation, or 0 when everything was fine.
 */
function read(stream: number[], chunkSize: number): number {
  const utf8 = new Utf8Validator();
  let buf = new Uint8Array(0);
  let header: ReturnType<typeof parseFrameHeader> = null;
  let payloadDone = 0;
  let textMessage = false;
  let control: number[] = [];
  try {
    for (let pos = 0; pos < stream.length; pos += chunkSize) {
      const next = new Uint8Array(
        buf.length + Math.min(chunkSize, stream.length - pos),
      );
      next.set(buf);
      next.set(stream.slice(pos, pos + chunkSize), buf.length);
      buf = next;
      for (;;) {
        if (header === null) {
          header = parseFrameHeader(buf, {
            requireMask: true,
            allowRsv1: false,
          });
          if (header === null) break;
          buf = buf.subarray(header.headerSize);
          payloadDone = 0;
          control = [];
          if (header.opcode === Opcode.Text) textMessage = true;
          if (header.opcode === Opcode.Binary) textMessage = false;
        }
        // Consume available payload bytes.
        const take = Math.min(buf.length, header.payloadLength - payloadDone);
        const chunk = buf.slice(0, take);
        unmask(chunk, header.mask, payloadDone);
        payloadDone += take;
        buf = buf.subarray(take);
        if (header.opcode >= 8) {
          control.push(...chunk);
        } else if (textMessage && !utf8.push(chunk)) {
          return 1007;
        }
        if (payloadDone < header.payloadLength) break;
        if (header.opcode === Opcode.Close) {
          parseClosePayload(new Uint8Array(control));
        }
        if (header.opcode < 8 && header.fin && textMessage && !utf8.end()) {
          return 1007;
        }
        header = null;
      }
    }
  } catch (e) {
    if (e instanceof WsProtocolError) return e.closeCode;
    throw e;
  }
  return 0;
}

const CASES: Array<[string, number[], number]> = [
  ["a valid text message in three fragments", [
    ...frame(1, "He", { fin: false }),
    ...frame(0, "l", { fin: false }),
    ...frame(0, "lo"),
  ], 0],
  ["a valid ping, binary and close", [
    ...frame(9, "p"),
    ...frame(2, [0xff]),
    ...frame(8, [0x03, 0xe8]),
  ], 0],
  ["an unmasked text frame", frame(1, "Hi", { masked: false }), 1002],
  ["reserved opcode 3", [0x83, 0x80, 0, 0, 0, 0], 1002],
  ["reserved opcode 11", [0x8b, 0x80, 0, 0, 0, 0], 1002],
  ["RSV1 without an extension", [0xc1, 0x80, 0, 0, 0, 0], 1002],
  ["RSV2", [0xa1, 0x80, 0, 0, 0, 0], 1002],
  ["RSV3", [0x91, 0x80, 0, 0, 0, 0], 1002],
  ["a ping of 126 bytes", [
    0x89,
    0xfe,
    0x00,
    0x7e,
    0,
    0,
    0,
    0,
    ...new Array(126).fill(0),
  ], 1002],
  ["a fragmented ping", [0x09, 0x80, 0, 0, 0, 0], 1002],
  ["invalid UTF-8 text", frame(1, [0x48, 0xff]), 1007],
  ["a code point split across fragments, then truncated", [
    ...frame(1, [0x48, 0xe2], { fin: false }),
    ...frame(0, [0x82]),
  ], 1007],
  ["a code point split across fragments", [
    ...frame(1, [0x48, 0xe2], { fin: false }),
    ...frame(0, [0x82, 0xac]),
  ], 0],
  ['an overlong encoding of "/"', frame(1, [0xc0, 0xaf]), 1007],
  ["an overlong 3-byte encoding", frame(1, [0xe0, 0x80, 0xaf]), 1007],
  ["a surrogate U+D800", frame(1, [0xed, 0xa0, 0x80]), 1007],
  ["a surrogate split across fragments", [
    ...frame(1, [0xed], { fin: false }),
    ...frame(0, [0xa0, 0x80]),
  ], 1007],
  ["a code point above U+10FFFF", frame(1, [0xf4, 0x90, 0x80, 0x80]), 1007],
  ["invalid UTF-8 in a binary message (fine)", frame(2, [0xff, 0xfe]), 0],
  ["close with code 1005", frame(8, [0x03, 0xed]), 1002],
  ["close with code 1006", frame(8, [0x03, 0xee]), 1002],
  ["close with code 999", frame(8, [0x03, 0xe7]), 1002],
  ["close with code 5000", frame(8, [0x13, 0x88]), 1002],
  ["close with a 1-byte payload", frame(8, [0x03]), 1002],
  ["close with a non-UTF-8 reason", frame(8, [0x03, 0xe8, 0xc3]), 1007],
];

for (const [name, stream, code] of CASES) {
  Deno.test(`the codec reads ${name} as ${code === 0 ? "valid" : `close code ${code}`}`, () => {
    assert.equal(read(stream, stream.length), code, "whole");
    assert.equal(read(stream, 1), code, "byte by byte");
    assert.equal(read(stream, 3), code, "3 bytes at a time");
  });
}
