// Private byte-level helpers shared by the HTTP/1 codec files.

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
export const COMMA = 0x2c;

/** `TCHAR[b] === 1` when `b` is an RFC 9110 `tchar` (token character). */
export const TCHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x30; b <= 0x39; b++) t[b] = 1;
  for (let b = 0x41; b <= 0x5a; b++) t[b] = 1;
  for (let b = 0x61; b <= 0x7a; b++) t[b] = 1;
  for (const c of "!#$%&'*+-.^_`|~") t[c.charCodeAt(0)] = 1;
  return t;
})();

/**
 * `FIELD_VALUE[b] === 1` when `b` may appear in a field value:
 * HTAB, SP, VCHAR and obs-text (no other CTLs, no DEL).
 */
export const FIELD_VALUE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  t[HTAB] = 1;
  for (let b = 0x20; b <= 0xff; b++) t[b] = 1;
  t[0x7f] = 0;
  return t;
})();

/** Whether `b` is optional whitespace (SP or HTAB). */
export function isOws(b: number | undefined): boolean {
  return b === SP || b === HTAB;
}

/**
 * Compares `buf[start, end)` with a lowercase ASCII string made of letters, digits and `-`,
 * ignoring the case of letters in `buf`.
 */
export function rangeEqualsLower(
  buf: Uint8Array,
  start: number,
  end: number,
  lower: string,
): boolean {
  const n = lower.length;
  if (end - start !== n) return false;
  for (let i = 0; i < n; i++) {
    const b = buf[start + i]!;
    const c = lower.charCodeAt(i);
    // For letters `c` this accepts `c` and its uppercase form only; for `-` and digits
    // the only other candidate (`c & ~0x20`) is a control byte never found in a token.
    if (b !== c && (b | 0x20) !== c) return false;
  }
  return true;
}

/** Compares `buf[start, end)` with an ASCII string exactly. */
export function rangeEquals(
  buf: Uint8Array,
  start: number,
  end: number,
  s: string,
): boolean {
  const n = s.length;
  if (end - start !== n) return false;
  for (let i = 0; i < n; i++) {
    if (buf[start + i] !== s.charCodeAt(i)) return false;
  }
  return true;
}

/** Decodes `buf[start, end)` as latin1 (one UTF-16 code unit per byte). */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 16) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
    return s;
  }
  let s = "";
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(
      null,
      buf.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return s;
}

/**
 * Calls `fn(start, end)` for each non-empty element of a comma-separated list in
 * `buf[start, end)`, with surrounding OWS removed. Stops early (returning `true`) when `fn`
 * returns `true`.
 */
export function someListElement(
  buf: Uint8Array,
  start: number,
  end: number,
  fn: (start: number, end: number) => boolean,
): boolean {
  let i = start;
  while (i <= end) {
    let j = i;
    while (j < end && buf[j] !== COMMA) j++;
    let a = i;
    let b = j;
    while (a < b && isOws(buf[a])) a++;
    while (b > a && isOws(buf[b - 1])) b--;
    if (a < b && fn(a, b)) return true;
    i = j + 1;
  }
  return false;
}

/** Value of the digits in `buf[start, end)`, or -1 if empty, not all digits, or unsafe. */
export function digitsValue(
  buf: Uint8Array,
  start: number,
  end: number,
): number {
  if (start >= end || end - start > 16) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : -1;
}
