import { TYPE_LIST, TYPE_MAP, TYPE_STRING } from "../tnetstring/mod.ts";
import {
  bool,
  entry,
  fail,
  frame,
  keyEnd,
  keyIs,
  keyStart,
  root,
  str,
  text,
  typeName,
  uint,
  val,
} from "./_reader.ts";
import {
  type Header,
  HEADERS_MAX,
  IDS_MAX,
  type InboundPacket,
  type PacketId,
} from "./types.ts";

const EMPTY: Uint8Array = new Uint8Array(0);
const item = { type: 0, start: 0, end: 0 };

/**
 * Parses a handler → manager payload (`T` + one tnetstring map) with Condure's rules
 * (condure:src/zhttppacket.rs `Response::parse`): unknown keys are skipped without
 * looking inside them, a duplicate scalar key's last value wins, `seq` is optional,
 * and every type mismatch, non-UTF-8 text field, more than {@linkcode HEADERS_MAX}
 * headers, more than {@linkcode IDS_MAX} ids or a header entry with fewer than two
 * items is an error. Fields are read per packet type as Condure does: e.g. `headers`
 * only for data and error packets, `body` must be UTF-8 only for `close`.
 *
 * Byte fields (`from`, ids, header names and values, `body`) are views of `payload`.
 *
 * @throws {ZhttpParseError} With Condure's message text.
 *
 * @example
 * ```ts
 * import { parsePacket } from "./mod.ts";
 * const te = new TextEncoder();
 * const p = parsePacket(te.encode("T47:4:from,2:hX,2:id,1:a,3:seq,1:1#4:type,6:cancel,}"));
 * if (p.type !== "cancel" || p.ids[0]?.seq !== 1) throw new Error();
 * ```
 */
export function parsePacket(payload: Uint8Array): InboundPacket {
  root(payload);
  const start = val.start;
  const end = val.end;
  const buf = payload;

  // Pass 1: common fields (condure CommonData::parse); also validates every entry's framing.
  let from: Uint8Array = EMPTY;
  const ids: PacketId[] = [];
  let type = "";
  let multi = false;
  let pos = start;
  while (pos < end) {
    pos = entry(buf, pos, end);
    switch (keyLen()) {
      case 2:
        if (keyIs(buf, "id")) readIds(buf, ids);
        break;
      case 3:
        if (keyIs(buf, "seq")) {
          const seq = uint(buf, "seq", 32);
          if (ids.length === 0) ids.push({ id: EMPTY, seq });
          else ids[0]!.seq = seq;
        } else if (keyIs(buf, "ext")) multi = readExt(buf);
        break;
      case 4:
        if (keyIs(buf, "from")) from = str(buf, "from");
        else if (keyIs(buf, "type")) type = knownType(buf) ?? text(buf, "type");
        break;
    }
  }

  const p: InboundPacket = {
    from,
    ids,
    type,
    multi,
    body: EMPTY,
    more: false,
    credits: 0,
    hasBody: false,
  };

  // Pass 2: the fields of this packet type.
  switch (type) {
    case "":
      readFields(buf, start, end, p, DATA_FIELDS);
      break;
    case "error":
      readFields(buf, start, end, p, ERROR_FIELDS);
      break;
    case "credit":
      readFields(buf, start, end, p, CREDIT_FIELDS);
      break;
    case "close":
      readFields(buf, start, end, p, CLOSE_FIELDS);
      break;
    case "ping":
    case "pong":
      readFields(buf, start, end, p, PING_FIELDS);
      break;
  }
  return p;
}

function keyLen(): number {
  return keyEnd - keyStart;
}

const TYPES = [
  "error",
  "credit",
  "keep-alive",
  "cancel",
  "handoff-start",
  "handoff-proceed",
  "close",
  "ping",
  "pong",
];

/** Returns the interned string for a well-known type (no allocation), else undefined. */
function knownType(buf: Uint8Array): string | undefined {
  if (val.type !== TYPE_STRING) return undefined;
  const n = val.end - val.start;
  for (const t of TYPES) {
    if (t.length !== n) continue;
    let k = 0;
    while (k < n && buf[val.start + k] === t.charCodeAt(k)) k++;
    if (k === n) return t;
  }
  return undefined;
}

function readIds(buf: Uint8Array, ids: PacketId[]): void {
  if (val.type === TYPE_STRING) {
    const id = buf.subarray(val.start, val.end);
    if (ids.length === 0) ids.push({ id });
    else ids[0]!.id = id;
    return;
  }
  if (val.type !== TYPE_LIST) fail("id must be of type map or string");
  const listEnd = val.end;
  let pos = val.start;
  while (pos < listEnd) {
    pos = frame(buf, pos, listEnd, item);
    if (ids.length >= IDS_MAX) fail("too many ids");
    if (item.type !== TYPE_MAP) {
      fail(`wrong type ${typeName(item.type)}, expected map`);
    }
    const id: PacketId = { id: EMPTY };
    const mapEnd = item.end;
    let mpos = item.start;
    while (mpos < mapEnd) {
      mpos = entry(buf, mpos, mapEnd);
      if (keyIs(buf, "id")) id.id = str(buf, "id");
      else if (keyIs(buf, "seq")) id.seq = uint(buf, "seq", 32);
    }
    ids.push(id);
  }
}

function readExt(buf: Uint8Array): boolean {
  if (val.type !== TYPE_MAP) fail("ext must be of type map");
  let multi = false;
  const mapEnd = val.end;
  let pos = val.start;
  while (pos < mapEnd) {
    pos = entry(buf, pos, mapEnd);
    if (keyIs(buf, "multi")) multi = bool(buf, "multi");
  }
  return multi;
}

// Field sets per packet type, as bit flags.
const F_CREDITS = 1;
const F_MORE = 2;
const F_CODE = 4;
const F_REASON = 8;
const F_HEADERS = 16;
const F_CONTENT_TYPE = 32;
const F_BODY = 64;
const F_CONDITION = 128;
const F_BODY_UTF8 = 256; // close: body is the reason text

const DATA_FIELDS = F_CREDITS | F_MORE | F_CODE | F_REASON | F_HEADERS |
  F_CONTENT_TYPE | F_BODY;
const ERROR_FIELDS = F_CONDITION | F_CODE | F_REASON | F_HEADERS | F_BODY;
const CREDIT_FIELDS = F_CREDITS;
const CLOSE_FIELDS = F_CODE | F_BODY | F_BODY_UTF8;
const PING_FIELDS = F_CREDITS | F_BODY;

function readFields(
  buf: Uint8Array,
  start: number,
  end: number,
  p: InboundPacket,
  fields: number,
): void {
  let pos = start;
  while (pos < end) {
    pos = entry(buf, pos, end);
    switch (keyLen()) {
      case 4:
        if (keyIs(buf, "body")) {
          if (fields & F_BODY) {
            p.body = str(buf, "body");
            p.hasBody = true;
            if (fields & F_BODY_UTF8) text(buf, "body", "condition"); // sic: Condure's text
          }
        } else if (keyIs(buf, "more")) {
          if (fields & F_MORE) p.more = bool(buf, "more");
        } else if (keyIs(buf, "code")) {
          if (fields & F_CODE) p.code = uint(buf, "code", 16);
        }
        break;
      case 6:
        if ((fields & F_REASON) && keyIs(buf, "reason")) {
          p.reason = text(buf, "reason");
        }
        break;
      case 7:
        if (keyIs(buf, "credits")) {
          if (fields & F_CREDITS) p.credits = uint(buf, "credits", 32);
        } else if ((fields & F_HEADERS) && keyIs(buf, "headers")) {
          readHeaders(buf, p.headers ??= []);
        }
        break;
      case 9:
        if ((fields & F_CONDITION) && keyIs(buf, "condition")) {
          p.condition = text(buf, "condition");
        }
        break;
      case 12:
        if ((fields & F_CONTENT_TYPE) && keyIs(buf, "content-type")) {
          const ct = str(buf, "content-type");
          p.contentType = ct.length === 6 && ct[0] === 0x62 && ct[1] === 0x69 &&
              ct[2] === 0x6e && ct[3] === 0x61 && ct[4] === 0x72 &&
              ct[5] === 0x79
            ? "binary"
            : "text";
        }
        break;
    }
  }
}

// Scratch frames for header parsing.
const hi = { type: 0, start: 0, end: 0 };
const hv = { type: 0, start: 0, end: 0 };

function readHeaders(buf: Uint8Array, out: Header[]): void {
  if (val.type !== TYPE_LIST) fail("headers must be of type array");
  const listEnd = val.end;
  let pos = val.start;
  while (pos < listEnd) {
    pos = frame(buf, pos, listEnd, hi);
    if (out.length >= HEADERS_MAX) fail("too many headers");
    if (hi.type !== TYPE_LIST) fail("header item must be of type array");
    const itemEnd = hi.end;
    let ipos = hi.start;
    if (ipos >= itemEnd) fail("header item must have size 2");
    ipos = frame(buf, ipos, itemEnd, hv);
    if (hv.type !== TYPE_STRING) fail("header name must be of type string");
    const nameStart = hv.start;
    const nameEnd = hv.end;
    for (let i = nameStart; i < nameEnd; i++) {
      if (buf[i]! >= 0x80) {
        val.type = TYPE_STRING;
        val.start = nameStart;
        val.end = nameEnd;
        text(buf, "header name");
        break;
      }
    }
    if (ipos >= itemEnd) fail("header item must have size 2");
    frame(buf, ipos, itemEnd, hv);
    if (hv.type !== TYPE_STRING) fail("header value must be of type string");
    out.push([
      buf.subarray(nameStart, nameEnd),
      buf.subarray(hv.start, hv.end),
    ]);
  }
}
