import {
  frameLength,
  intFrameLength,
  putBytes,
  putInt,
  putPrefix,
  putRaw,
  putString,
  TYPE_LIST,
  TYPE_MAP,
  utf8ByteLength,
} from "../tnetstring/mod.ts";
import {
  type Header,
  IDS_MAX,
  type OutboundPacket,
  type PacketId,
} from "./types.ts";

const te = new TextEncoder();
const raw = (s: string) => te.encode(s);

// Pre-encoded keys and constant entries.
const K_FROM = raw("4:from,");
const K_ID = raw("2:id,");
const K_SEQ = raw("3:seq,");
const EXT = raw("3:ext,15:5:multi,4:true!}");
const K_METHOD = raw("6:method,");
const K_URI = raw("3:uri,");
const K_HEADERS = raw("7:headers,");
const K_CONTENT_TYPE = raw("12:content-type,");
const K_BODY = raw("4:body,");
const K_CREDITS = raw("7:credits,");
const MORE = raw("4:more,4:true!");
const STREAM = raw("6:stream,4:true!");
const K_PEER_ADDRESS = raw("12:peer-address,");
const K_PEER_PORT = raw("9:peer-port,");
const K_CODE = raw("4:code,");
const CT_TEXT = raw("4:text,");
const CT_BINARY = raw("6:binary,");

// "4:type,<n>:<type>," for every non-data type.
const TYPE_ENTRIES: Record<string, Uint8Array> = {};
for (
  const t of [
    "credit",
    "keep-alive",
    "cancel",
    "handoff-proceed",
    "close",
    "ping",
    "pong",
  ]
) TYPE_ENTRIES[t] = raw(`4:type,${t.length}:${t},`);

function checkUint(n: number, max: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(
      `Cannot encode ZHTTP packet: ${what} ${n} is not an integer in 0..${max}`,
    );
  }
}

function idEntryLength(id: PacketId): number {
  let n = K_ID.length + frameLength(id.id.length);
  if (id.seq !== undefined) {
    checkUint(id.seq, 0xffffffff, "seq");
    n += K_SEQ.length + intFrameLength(id.seq);
  }
  return n;
}

function headerItemLength(h: Header): number {
  return frameLength(h[0].length) + frameLength(h[1].length);
}

// Lengths computed by the sizing pass for the writing pass (encoding is synchronous).
let rootLen = 0;
let idListLen = 0;
let methodLen = 0;
let uriLen = 0;
let headersLen = 0;
let peerLen = 0;

/** Sizing pass: the length of the root map's data; fills the lengths above. */
function size(p: OutboundPacket): number {
  const { from, ids } = p;
  if (ids.length > IDS_MAX) {
    throw new RangeError(
      `Cannot encode ZHTTP packet: ${ids.length} ids (at most ${IDS_MAX})`,
    );
  }
  let len = EXT.length;
  if (from.length > 0) len += K_FROM.length + frameLength(from.length);
  idListLen = 0;
  if (ids.length === 1) len += idEntryLength(ids[0]!);
  else if (ids.length > 1) {
    for (let i = 0; i < ids.length; i++) {
      idListLen += frameLength(idEntryLength(ids[i]!));
    }
    len += K_ID.length + frameLength(idListLen);
  }
  switch (p.type) {
    case "request": {
      methodLen = utf8ByteLength(p.method);
      uriLen = utf8ByteLength(p.uri);
      if (methodLen > 0) len += K_METHOD.length + frameLength(methodLen);
      if (uriLen > 0) len += K_URI.length + frameLength(uriLen);
      const headers = p.headers;
      headersLen = 0;
      if (headers.length > 0) {
        for (let i = 0; i < headers.length; i++) {
          headersLen += frameLength(headerItemLength(headers[i]!));
        }
        len += K_HEADERS.length + frameLength(headersLen);
      }
      len += bodyLength(p.body);
      if (p.credits !== undefined && p.credits > 0) {
        checkUint(p.credits, 0xffffffff, "credits");
        len += K_CREDITS.length + intFrameLength(p.credits);
      }
      if (p.more) len += MORE.length;
      if (p.stream) len += STREAM.length;
      peerLen = 0;
      if (p.peerAddress !== undefined && p.peerAddress.length > 0) {
        peerLen = utf8ByteLength(p.peerAddress);
        const port = p.peerPort ?? 0;
        checkUint(port, 0xffff, "peer-port");
        len += K_PEER_ADDRESS.length + frameLength(peerLen) +
          K_PEER_PORT.length + intFrameLength(port);
      }
      return len;
    }
    case "data":
      if (p.contentType !== undefined) {
        len += K_CONTENT_TYPE.length +
          (p.contentType === "binary" ? CT_BINARY : CT_TEXT).length;
      }
      len += bodyLength(p.body);
      if (p.more) len += MORE.length;
      return len;
    case "credit":
      checkUint(p.credits, 0xffffffff, "credits");
      return len + TYPE_ENTRIES.credit!.length + K_CREDITS.length +
        intFrameLength(p.credits);
    case "close":
      len += TYPE_ENTRIES.close!.length;
      if (p.code !== undefined) {
        checkUint(p.code, 0xffff, "code");
        len += K_CODE.length + intFrameLength(p.code) + bodyLength(p.body);
      }
      return len;
    case "ping":
    case "pong":
      return len + TYPE_ENTRIES[p.type]!.length + bodyLength(p.body);
    default:
      return len + TYPE_ENTRIES[p.type]!.length;
  }
}

function bodyLength(body: Uint8Array | undefined): number {
  return body !== undefined && body.length > 0
    ? K_BODY.length + frameLength(body.length)
    : 0;
}

function putBody(
  buf: Uint8Array,
  pos: number,
  body: Uint8Array | undefined,
): number {
  return body !== undefined && body.length > 0
    ? putBytes(buf, putRaw(buf, pos, K_BODY), body)
    : pos;
}

function putIdEntries(buf: Uint8Array, pos: number, id: PacketId): number {
  pos = putBytes(buf, putRaw(buf, pos, K_ID), id.id);
  if (id.seq !== undefined) pos = putInt(buf, putRaw(buf, pos, K_SEQ), id.seq);
  return pos;
}

/** Writing pass: `T` + the root map at `pos`; returns the end offset. */
function write(p: OutboundPacket, buf: Uint8Array, pos: number): number {
  const { from, ids } = p;
  buf[pos++] = 0x54; // T
  pos = putPrefix(buf, pos, rootLen);
  if (from.length > 0) pos = putBytes(buf, putRaw(buf, pos, K_FROM), from);
  if (ids.length === 1) pos = putIdEntries(buf, pos, ids[0]!);
  else if (ids.length > 1) {
    pos = putPrefix(buf, putRaw(buf, pos, K_ID), idListLen);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      pos = putIdEntries(buf, putPrefix(buf, pos, idEntryLength(id)), id);
      buf[pos++] = TYPE_MAP;
    }
    buf[pos++] = TYPE_LIST;
  }
  pos = putRaw(buf, pos, EXT);

  switch (p.type) {
    case "request": {
      if (methodLen > 0) {
        pos = putString(buf, putRaw(buf, pos, K_METHOD), p.method, methodLen);
      }
      if (uriLen > 0) {
        pos = putString(buf, putRaw(buf, pos, K_URI), p.uri, uriLen);
      }
      const headers = p.headers;
      if (headers.length > 0) {
        pos = putPrefix(buf, putRaw(buf, pos, K_HEADERS), headersLen);
        for (let i = 0; i < headers.length; i++) {
          const h = headers[i]!;
          pos = putPrefix(buf, pos, headerItemLength(h));
          pos = putBytes(buf, putBytes(buf, pos, h[0]), h[1]);
          buf[pos++] = TYPE_LIST;
        }
        buf[pos++] = TYPE_LIST;
      }
      pos = putBody(buf, pos, p.body);
      if (p.credits !== undefined && p.credits > 0) {
        pos = putInt(buf, putRaw(buf, pos, K_CREDITS), p.credits);
      }
      if (p.more) pos = putRaw(buf, pos, MORE);
      if (p.stream) pos = putRaw(buf, pos, STREAM);
      if (peerLen > 0) {
        pos = putString(
          buf,
          putRaw(buf, pos, K_PEER_ADDRESS),
          p.peerAddress!,
          peerLen,
        );
        pos = putInt(buf, putRaw(buf, pos, K_PEER_PORT), p.peerPort ?? 0);
      }
      break;
    }
    case "data":
      if (p.contentType !== undefined) {
        pos = putRaw(
          buf,
          putRaw(buf, pos, K_CONTENT_TYPE),
          p.contentType === "binary" ? CT_BINARY : CT_TEXT,
        );
      }
      pos = putBody(buf, pos, p.body);
      if (p.more) pos = putRaw(buf, pos, MORE);
      break;
    case "credit":
      pos = putRaw(buf, pos, TYPE_ENTRIES.credit!);
      pos = putInt(buf, putRaw(buf, pos, K_CREDITS), p.credits);
      break;
    case "close":
      pos = putRaw(buf, pos, TYPE_ENTRIES.close!);
      if (p.code !== undefined) {
        pos = putInt(buf, putRaw(buf, pos, K_CODE), p.code);
        pos = putBody(buf, pos, p.body);
      }
      break;
    case "ping":
    case "pong":
      pos = putBody(buf, putRaw(buf, pos, TYPE_ENTRIES[p.type]!), p.body);
      break;
    default:
      pos = putRaw(buf, pos, TYPE_ENTRIES[p.type]!);
  }
  buf[pos++] = TYPE_MAP;
  return pos;
}

/**
 * Encodes a manager → handler packet as `T` + one tnetstring map, byte for byte as
 * Condure 1.9.1 does: fields in the order `from, id, seq, ext, type, …`, `ext` always
 * `{"multi": true}`, a single id at the top level and several as a list of maps, and
 * the type's fields in Condure's order with empty/false/zero ones left out
 * (request: `method, uri, headers, body, credits, more, stream, peer-address,
 * peer-port`; data: `content-type, body, more`; close: `code, body`, the body only
 * with a code).
 *
 * The output is sized exactly up front and written once into a new buffer of exactly
 * that size. On a hot path, {@linkcode encodePacketInto} avoids even that allocation.
 *
 * @throws {RangeError} For more than {@linkcode IDS_MAX} ids or out-of-range integers.
 *
 * @example
 * ```ts
 * import { encodePacket } from "./mod.ts";
 * const te = new TextEncoder();
 * const bytes = encodePacket({
 *   type: "cancel",
 *   from: te.encode("condure"),
 *   ids: [{ id: te.encode("0-0-1"), seq: 5 }],
 * });
 * const expected =
 *   "T81:4:from,7:condure,2:id,5:0-0-1,3:seq,1:5#3:ext,15:5:multi,4:true!}4:type,6:cancel,}";
 * if (new TextDecoder().decode(bytes) !== expected) throw new Error();
 * ```
 */
export function encodePacket(p: OutboundPacket): Uint8Array {
  rootLen = size(p);
  const out = new Uint8Array(1 + frameLength(rootLen));
  write(p, out, 0);
  return out;
}

/**
 * Encodes like {@linkcode encodePacket} but into `buf` at `offset` (e.g. a reused send
 * buffer), allocating nothing.
 *
 * @returns The offset just past the packet, or `-(bytes needed)` when it does not fit
 * (nothing is written then).
 * @throws {RangeError} For more than {@linkcode IDS_MAX} ids or out-of-range integers.
 *
 * @example
 * ```ts
 * import { encodePacketInto } from "./mod.ts";
 * const te = new TextEncoder();
 * const buf = new Uint8Array(4096);
 * const end = encodePacketInto({ type: "keep-alive", from: te.encode("condure"), ids: [{ id: te.encode("0-0-0") }] }, buf);
 * if (end <= 0 || buf[0] !== 0x54) throw new Error();
 * ```
 */
export function encodePacketInto(
  p: OutboundPacket,
  buf: Uint8Array,
  offset = 0,
): number {
  rootLen = size(p);
  const need = 1 + frameLength(rootLen);
  if (offset + need > buf.length) return -need;
  return write(p, buf, offset);
}
