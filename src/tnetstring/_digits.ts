/** Number of decimal digits of a non-negative safe integer. */
export function digitCount(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  if (n < 100000) return 5;
  if (n < 1000000) return 6;
  if (n < 10000000) return 7;
  let d = 8;
  n = Math.floor(n / 100000000);
  while (n > 0) {
    d++;
    n = Math.floor(n / 10);
  }
  return d;
}

/** Writes the `digits` decimal digits of non-negative `n` at `at`; returns `at + digits`. */
export function putDigits(
  buf: Uint8Array,
  at: number,
  n: number,
  digits: number,
): number {
  const end = at + digits;
  let i = end;
  while (i > at) {
    const q = Math.floor(n / 10);
    buf[--i] = 0x30 + (n - q * 10);
    n = q;
  }
  return end;
}

/** Byte length of `s` in UTF-8 when it is all ASCII; `-(length) - 1` when it is not. */
export function utf8Length(s: string): number {
  const n = s.length;
  let i = 0;
  while (i < n && s.charCodeAt(i) < 0x80) i++;
  if (i === n) return n;
  let len = i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) len += 1;
    else if (c < 0x800) len += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        len += 4;
        i++;
      } else len += 3; // lone surrogate → U+FFFD
    } else len += 3;
  }
  return -len - 1;
}
