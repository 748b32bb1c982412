import { TYPE_LIST, TYPE_MAP, TYPE_STRING } from "../tnetstring/mod.ts";
import {
  entry,
  fail,
  frame,
  keyIs,
  root,
  str,
  typeName,
  val,
} from "./_reader.ts";
import { IDS_MAX } from "./types.ts";

/**
 * Splits a frame received on the SUB socket, `"<address> T…"`, at its first space.
 * Both parts are views of `frame` (no copies).
 *
 * @returns `null` when there is no space (Condure logs `unable to determine packet address`).
 *
 * @example
 * ```ts
 * import { splitAddress } from "./mod.ts";
 * const parts = splitAddress(new TextEncoder().encode("condure T0:}"));
 * if (parts === null || parts.address.length !== 7 || parts.payload[0] !== 0x54) throw new Error();
 * ```
 */
export function splitAddress(
  frame: Uint8Array,
): { address: Uint8Array; payload: Uint8Array } | null {
  const at = frame.indexOf(0x20);
  if (at < 0) return null;
  return { address: frame.subarray(0, at), payload: frame.subarray(at + 1) };
}

const item = { type: 0, start: 0, end: 0 };

/**
 * Reads only the session id(s) of a payload, to route it to the right worker, as
 * Condure's `parse_ids` does: the `id` string or each `id` of the list form (at most
 * {@linkcode IDS_MAX}); other fields are only checked for framing (and `from` for its
 * type). Ids are views of `payload`.
 *
 * @throws {ZhttpParseError} With Condure's message text.
 *
 * @example
 * ```ts
 * import { peekIds } from "./mod.ts";
 * const ids = peekIds(new TextEncoder().encode("T21:2:id,12:9:2:id,1:a,}]}"));
 * if (ids.length !== 1 || ids[0]![0] !== 0x61) throw new Error();
 * ```
 */
export function peekIds(payload: Uint8Array): Uint8Array[] {
  root(payload);
  const buf = payload;
  const end = val.end;
  const out: Uint8Array[] = [];
  let pos = val.start;
  while (pos < end) {
    pos = entry(buf, pos, end);
    if (keyIs(buf, "from")) str(buf, "from");
    else if (keyIs(buf, "id")) {
      if (val.type === TYPE_STRING) {
        if (out.length >= IDS_MAX) fail("too many ids");
        out.push(buf.subarray(val.start, val.end));
      } else if (val.type === TYPE_LIST) {
        const listEnd = val.end;
        let lpos = val.start;
        while (lpos < listEnd) {
          lpos = frame(buf, lpos, listEnd, item);
          if (out.length >= IDS_MAX) fail("too many ids");
          if (item.type !== TYPE_MAP) {
            fail(`wrong type ${typeName(item.type)}, expected map`);
          }
          let id: Uint8Array = EMPTY;
          const mapEnd = item.end;
          let mpos = item.start;
          while (mpos < mapEnd) {
            mpos = entry(buf, mpos, mapEnd);
            if (keyIs(buf, "id")) id = str(buf, "id");
          }
          out.push(id);
        }
      } else fail("id must be of type map or string");
    }
  }
  return out;
}

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * Whether two byte strings (addresses, ids) are equal.
 *
 * @example
 * ```ts
 * import { bytesEqual } from "./address.ts";
 * const e = new TextEncoder();
 * if (!bytesEqual(e.encode("h1"), e.encode("h1")) || bytesEqual(e.encode("h1"), e.encode("h2"))) {
 *   throw new Error();
 * }
 * ```
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
