import { encode, type TnetInput } from "../../src/tnetstring/mod.ts";

const te = new TextEncoder();

/** UTF-8 bytes of a text. */
export const b = (s: string): Uint8Array => te.encode(s);

/** One byte per char code (for byte-exact vectors with binary bytes). */
export const latin1 = (s: string): Uint8Array =>
  Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Bytes back to a one-char-per-byte string (readable assertion diffs). */
export const show = (u: Uint8Array): string => String.fromCharCode(...u);

/** A single id with a seq. */
export const one = (id: string, seq?: number) =>
  seq === undefined ? [{ id: b(id) }] : [{ id: b(id), seq }];

/** `T` + the tnetstring of a map given as entries (order kept, duplicates allowed). */
export function pkt(entries: [string, TnetInput][]): Uint8Array {
  const body = entries.map(([k, v]) => [encode(k), encode(v)]).flat();
  const len = body.reduce((n, x) => n + x.length, 0);
  return latin1(`T${len}:` + body.map(show).join("") + "}");
}

export function m(entries: [string, TnetInput][]): Map<string, TnetInput> {
  return new Map(entries);
}

export const hdrs = (n: number): TnetInput =>
  Array.from({ length: n }, (_, i) => [`H${i}`, `v${i}`]);
