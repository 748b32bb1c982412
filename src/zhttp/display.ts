/**
 * Human-readable rendering of ZHTTP payloads for TRACE logs, in Condure's style:
 * `{ "from": "condure", "id": "0-0-0", … }` with the body pulled out and shown after the map
 * as `<length> "<escaped text>"`.
 *
 * @module
 */

import { decode, type TnetValue } from "../tnetstring/mod.ts";

const LOSSY = new TextDecoder();

function render(v: TnetValue): string {
  if (v instanceof Uint8Array) return JSON.stringify(LOSSY.decode(v));
  if (Array.isArray(v)) {
    return v.length === 0 ? "[]" : `[ ${v.map(render).join(", ")} ]`;
  }
  if (v instanceof Map) {
    if (v.size === 0) return "{}";
    const parts: string[] = [];
    for (const [k, x] of v) parts.push(`${JSON.stringify(k)}: ${render(x)}`);
    return `{ ${parts.join(", ")} }`;
  }
  return String(v);
}

/**
 * Renders a `T…` payload for a log line; unparsable payloads are shown by length only.
 *
 * @example
 * ```ts
 * import { describePacket } from "./display.ts";
 * const text = describePacket(new TextEncoder().encode("T24:2:id,1:a,4:body,5:hello,}"));
 * if (text !== '{ "id": "a" } 5 "hello"') throw new Error(text);
 * ```
 */
export function describePacket(payload: Uint8Array): string {
  let root: TnetValue;
  try {
    if (payload[0] !== 0x54) throw new SyntaxError("not a T payload");
    root = decode(payload, 1).value;
  } catch {
    return `<${payload.length} bytes, unparsable>`;
  }
  if (!(root instanceof Map)) return render(root);
  const body = root.get("body");
  if (!(body instanceof Uint8Array)) return render(root);
  const rest = new Map(root);
  rest.delete("body");
  return `${render(rest)} ${body.length} ${JSON.stringify(LOSSY.decode(body))}`;
}
