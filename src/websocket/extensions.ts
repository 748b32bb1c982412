/**
 * `Sec-WebSocket-Extensions` parsing (RFC 6455 §9.1) and permessage-deflate negotiation
 * (RFC 7692 §7.1) with Condure's rules.
 *
 * @module
 */

/** One extension offer: its name and its parameters in order (value `undefined` = none). */
export interface ExtensionOffer {
  /** The extension token, e.g. `permessage-deflate`. */
  name: string;
  /** Parameters in header order; quoted values are unescaped. */
  params: Array<[name: string, value: string | undefined]>;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && /\s/.test(ch);
}

function malformed(what: string): never {
  throw new SyntaxError(`Cannot parse Sec-WebSocket-Extensions: ${what}`);
}

/** Reads up to (not including) the first of `stops` or the end; returns [text, end]. */
function readUntil(s: string, pos: number, stops: string): [string, number] {
  let end = pos;
  while (end < s.length && !stops.includes(s[end]!)) end++;
  return [s.slice(pos, end), end];
}

/**
 * Parses `Sec-WebSocket-Extensions` header values (several fields = one comma-separated list)
 * into offers, in order, with the grammar Condure 1.9.1 accepts (observed): elements are
 * separated by `,` and parameters by `;`; names and parameter names are trimmed and must not
 * be empty (so an empty value, an empty list element, a trailing `,` or `;`, or `;;` are
 * malformed) but are not otherwise checked; a value is either a quoted string without escapes
 * (`"…"`, only whitespace may follow it) or the trimmed text up to the next `,`/`;`; an empty
 * value counts as no value. The value must be UTF-8. Throws `SyntaxError` when malformed.
 *
 * Condure is stricter than RFC 9110 §5.6.1 about empty list elements and laxer about token
 * characters; a drop-in replacement keeps its behaviour, since a malformed header fails the
 * whole request.
 *
 * @example
 * ```ts
 * import { parseExtensions } from "./mod.ts";
 * const offers = parseExtensions([
 *   new TextEncoder().encode("permessage-deflate; client_max_window_bits, foo"),
 * ]);
 * console.log(offers[0]); // { name: "permessage-deflate", params: [ [ "client_max_window_bits", undefined ] ] }
 * ```
 */
export function parseExtensions(
  headerValues: readonly Uint8Array[],
): ExtensionOffer[] {
  const offers: ExtensionOffer[] = [];
  for (const bytes of headerValues) {
    let s: string;
    try {
      s = utf8.decode(bytes);
    } catch {
      malformed("value is not UTF-8");
    }
    let pos = 0;
    for (;;) {
      const [rawName, nameEnd] = readUntil(s, pos, ",;");
      const name = rawName.trim();
      if (name === "") malformed(`empty extension name at offset ${pos}`);
      pos = nameEnd;
      const offer: ExtensionOffer = { name, params: [] };
      while (s[pos] === ";") {
        pos++;
        const [rawKey, keyEnd] = readUntil(s, pos, "=,;");
        const key = rawKey.trim();
        if (key === "") malformed(`empty parameter name at offset ${pos}`);
        pos = keyEnd;
        let value: string | undefined;
        if (s[pos] === "=") {
          pos++;
          while (isSpace(s[pos])) pos++;
          if (s[pos] === '"') {
            const close = s.indexOf('"', pos + 1);
            if (close < 0) {
              malformed(`unterminated quoted-string at offset ${pos}`);
            }
            value = s.slice(pos + 1, close);
            pos = close + 1;
            while (isSpace(s[pos])) pos++;
            if (pos < s.length && s[pos] !== "," && s[pos] !== ";") {
              malformed(
                `unexpected character after quoted-string at offset ${pos}`,
              );
            }
          } else {
            const [raw, end] = readUntil(s, pos, ",;");
            value = raw.trim();
            pos = end;
          }
          if (value === "") value = undefined;
        }
        offer.params.push([key, value]);
      }
      offers.push(offer);
      if (pos >= s.length) break;
      pos++; // ","
    }
  }
  return offers;
}

/** The outcome of a successful permessage-deflate negotiation. */
export interface DeflateNegotiation {
  /** The `Sec-WebSocket-Extensions` response value. */
  response: string;
  /** The server must reset its compressor after each message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compressor after each message. */
  clientNoContextTakeover: boolean;
}

function isWindowBits(v: string): boolean {
  // 8-15, parsed as Condure does (Rust `u8::from_str`: optional "+", leading zeros allowed).
  if (!/^\+?[0-9]+$/.test(v)) return false;
  const n = Number(v);
  return n >= 8 && n <= 15;
}

/**
 * Picks the permessage-deflate offer to accept from the client's `Sec-WebSocket-Extensions`
 * header values, as Condure does: offers are scanned in order and the first valid
 * `permessage-deflate` offer wins; other extensions are ignored. Valid parameters are
 * `client_no_context_takeover` and `server_no_context_takeover` (no value),
 * `client_max_window_bits` (optional value 8-15) and `server_max_window_bits` (value 8-15),
 * each at most once; anything else invalidates the offer. An offer with
 * `server_max_window_bits` other than 15 is declined (the next one is tried). The response is
 * `permessage-deflate`, plus `; client_no_context_takeover` and/or
 * `; server_no_context_takeover` when offered, in that order. Parameter names and the
 * extension name are case-sensitive. Returns `null` when nothing is acceptable;
 * throws `SyntaxError` for a malformed header, which fails the request (Condure closes the
 * connection).
 *
 * @example
 * ```ts
 * import { negotiateDeflate } from "./mod.ts";
 * const r = negotiateDeflate([
 *   new TextEncoder().encode("permessage-deflate; server_no_context_takeover"),
 * ]);
 * console.log(r?.response); // permessage-deflate; server_no_context_takeover
 * ```
 */
export function negotiateDeflate(
  headerValues: readonly Uint8Array[],
): DeflateNegotiation | null {
  for (const offer of parseExtensions(headerValues)) {
    if (offer.name !== "permessage-deflate") continue;
    const r = acceptOffer(offer);
    if (r !== null) return r;
  }
  return null;
}

function acceptOffer(offer: ExtensionOffer): DeflateNegotiation | null {
  let clientNoContextTakeover = false;
  let serverNoContextTakeover = false;
  let clientMaxWindowBits = false;
  let serverMaxWindowBits: string | undefined;
  for (const [name, value] of offer.params) {
    switch (name) {
      case "client_no_context_takeover":
        if (clientNoContextTakeover || value !== undefined) return null;
        clientNoContextTakeover = true;
        break;
      case "server_no_context_takeover":
        if (serverNoContextTakeover || value !== undefined) return null;
        serverNoContextTakeover = true;
        break;
      case "client_max_window_bits":
        if (
          clientMaxWindowBits || (value !== undefined && !isWindowBits(value))
        ) return null;
        clientMaxWindowBits = true;
        break;
      case "server_max_window_bits":
        if (
          serverMaxWindowBits !== undefined || value === undefined ||
          !isWindowBits(value)
        ) {
          return null;
        }
        serverMaxWindowBits = value;
        break;
      default:
        return null;
    }
  }
  if (serverMaxWindowBits !== undefined && Number(serverMaxWindowBits) !== 15) {
    return null;
  }
  let response = "permessage-deflate";
  if (clientNoContextTakeover) response += "; client_no_context_takeover";
  if (serverNoContextTakeover) response += "; server_no_context_takeover";
  return { response, serverNoContextTakeover, clientNoContextTakeover };
}
