/**
 * A port of Rust's `SocketAddr::from_str` grammar (std `net/parser.rs`), which Condure uses
 * for TCP listen addresses: `a.b.c.d:port` or `[ipv6[%scope]]:port`, strict (no leading
 * zeros in IPv4 octets, at most 4 hex digits per IPv6 group, no host names).
 *
 * @module
 */

/** A parsed socket address. */
export interface SocketAddr {
  /** IP literal without brackets, IPv6 in Rust's display form (`::1`, `fe80::1%2`). */
  hostname: string;
  /** TCP port. */
  port: number;
}

class Cursor {
  readonly text: string;
  pos = 0;
  constructor(text: string) {
    this.text = text;
  }
  /** Runs `fn`, restoring the position when it returns `undefined`. */
  atomically<T>(fn: () => T | undefined): T | undefined {
    const start = this.pos;
    const result = fn();
    if (result === undefined) this.pos = start;
    return result;
  }
  char(expected: string): true | undefined {
    if (this.text[this.pos] !== expected) return undefined;
    this.pos++;
    return true;
  }
  /** Rust's `read_number`: ≥1 digit, optional digit cap, optional leading-zero ban, checked range. */
  number(
    radix: number,
    maxDigits: number | undefined,
    allowZeroPrefix: boolean,
    max: number,
  ): number | undefined {
    return this.atomically(() => {
      const hasLeadingZero = this.text[this.pos] === "0";
      let value = 0;
      let count = 0;
      while (this.pos < this.text.length) {
        const digit = parseInt(this.text[this.pos] ?? "", radix);
        if (Number.isNaN(digit)) break;
        this.pos++;
        value = value * radix + digit;
        if (value > max) return undefined;
        count++;
        if (maxDigits !== undefined && count > maxDigits) return undefined;
      }
      if (count === 0) return undefined;
      if (!allowZeroPrefix && hasLeadingZero && count > 1) return undefined;
      return value;
    });
  }
  ipv4(): number[] | undefined {
    return this.atomically(() => {
      const octets: number[] = [];
      for (let i = 0; i < 4; i++) {
        if (i > 0 && !this.char(".")) return undefined;
        const octet = this.number(10, 3, false, 255);
        if (octet === undefined) return undefined;
        octets.push(octet);
      }
      return octets;
    });
  }
  /** Reads up to `limit` groups; returns them and whether an embedded IPv4 ended them. */
  #groups(limit: number): { groups: number[]; ipv4: boolean } {
    const groups: number[] = [];
    for (let i = 0; i < limit; i++) {
      if (i < limit - 1) {
        const v4 = this.atomically(() =>
          i > 0 && !this.char(":") ? undefined : this.ipv4()
        );
        if (v4 !== undefined) {
          const [a = 0, b = 0, c = 0, d = 0] = v4;
          groups.push((a << 8) | b, (c << 8) | d);
          return { groups, ipv4: true };
        }
      }
      const group = this.atomically(() =>
        i > 0 && !this.char(":") ? undefined : this.number(16, 4, true, 0xffff)
      );
      if (group === undefined) return { groups, ipv4: false };
      groups.push(group);
    }
    return { groups, ipv4: false };
  }
  ipv6(): number[] | undefined {
    return this.atomically(() => {
      const head = this.#groups(8);
      if (head.groups.length === 8) return head.groups;
      if (head.ipv4) return undefined;
      if (!this.char(":") || !this.char(":")) return undefined;
      const tail = this.#groups(8 - (head.groups.length + 1));
      const zeros = 8 - head.groups.length - tail.groups.length;
      return [
        ...head.groups,
        ...new Array<number>(zeros).fill(0),
        ...tail.groups,
      ];
    });
  }
}

/**
 * Formats IPv6 segments as Rust's `Ipv6Addr` `Display` does: IPv4-mapped as `::ffff:a.b.c.d`,
 * otherwise lowercase hex with the longest run (≥ 2) of zero groups shown as `::`.
 *
 * @example
 * ```ts
 * import { formatIpv6 } from "./_socket_addr.ts";
 * if (formatIpv6([0, 0, 0, 0, 0, 0, 0, 1]) !== "::1") throw new Error();
 * ```
 */
export function formatIpv6(segments: readonly number[]): string {
  const s = segments;
  if (
    s.length === 8 && s[0] === 0 && s[1] === 0 && s[2] === 0 && s[3] === 0 &&
    s[4] === 0 && s[5] === 0xffff
  ) {
    const a = s[6] ?? 0;
    const b = s[7] ?? 0;
    return `::ffff:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < s.length;) {
    if (s[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && s[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (list: readonly number[]) =>
    list.map((n) => n.toString(16)).join(":");
  if (bestLen < 2) return hex(s);
  return `${hex(s.slice(0, bestStart))}::${hex(s.slice(bestStart + bestLen))}`;
}

/**
 * Parses `text` as Rust's `SocketAddr::from_str`, returning `undefined` where Rust reports
 * `invalid socket address syntax`.
 *
 * @example
 * ```ts
 * import { parseSocketAddr } from "./_socket_addr.ts";
 * const addr = parseSocketAddr("[::1]:8080");
 * if (addr?.hostname !== "::1" || addr.port !== 8080) throw new Error();
 * if (parseSocketAddr("localhost:80") !== undefined) throw new Error();
 * ```
 */
export function parseSocketAddr(text: string): SocketAddr | undefined {
  const v4 = new Cursor(text);
  const octets = v4.ipv4();
  if (octets !== undefined && v4.char(":")) {
    const port = v4.number(10, undefined, true, 0xffff);
    if (port !== undefined && v4.pos === text.length) {
      return { hostname: octets.join("."), port };
    }
  }
  const v6 = new Cursor(text);
  if (!v6.char("[")) return undefined;
  const segments = v6.ipv6();
  if (segments === undefined) return undefined;
  let scope = 0;
  if (v6.char("%")) {
    const n = v6.number(10, undefined, true, 0xffffffff);
    if (n === undefined) return undefined;
    scope = n;
  }
  if (!v6.char("]") || !v6.char(":")) return undefined;
  const port = v6.number(10, undefined, true, 0xffff);
  if (port === undefined || v6.pos !== text.length) return undefined;
  const host = formatIpv6(segments);
  return { hostname: scope === 0 ? host : `${host}%${scope}`, port };
}
