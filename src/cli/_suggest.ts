/**
 * "Did you mean" suggestions as clap 3.2 makes them: strsim 0.10 Jaro-Winkler similarity,
 * candidates above 0.8, the best one (the last listed wins a tie).
 *
 * @module
 */

/**
 * strsim 0.10's `jaro` (its own transposition count, kept for identical suggestions).
 *
 * @example
 * ```ts
 * import { jaro } from "./_suggest.ts";
 * if (jaro("abc", "abc") !== 1) throw new Error();
 * ```
 */
export function jaro(a: string, b: string): number {
  const aChars = [...a];
  const bChars = [...b];
  const aLen = aChars.length;
  const bLen = bChars.length;
  if (aLen === 0 && bLen === 0) return 1;
  if (aLen === 0 || bLen === 0) return 0;
  if (aLen === 1 && bLen === 1) return aChars[0] === bChars[0] ? 1 : 0;
  const searchRange = Math.floor(Math.max(aLen, bLen) / 2) - 1;
  const consumed = new Array<boolean>(bLen).fill(false);
  let matches = 0;
  let transpositions = 0;
  let bMatchIndex = 0;
  for (let i = 0; i < aLen; i++) {
    const minBound = i > searchRange ? i - searchRange : 0;
    const maxBound = Math.min(bLen - 1, i + searchRange);
    if (minBound > maxBound) continue;
    for (let j = minBound; j <= maxBound; j++) {
      if (aChars[i] === bChars[j] && !consumed[j]) {
        consumed[j] = true;
        matches++;
        if (j < bMatchIndex) transpositions++;
        bMatchIndex = j;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  return (1 / 3) *
    (matches / aLen + matches / bLen + (matches - transpositions) / matches);
}

/**
 * strsim 0.10's `jaro_winkler` (unbounded common prefix, capped at 1).
 *
 * @example
 * ```ts
 * import { jaroWinkler } from "./_suggest.ts";
 * if (!(jaroWinkler("work", "workers") > 0.8)) throw new Error();
 * ```
 */
export function jaroWinkler(a: string, b: string): number {
  const distance = jaro(a, b);
  const aChars = [...a];
  const bChars = [...b];
  let prefix = 0;
  while (
    prefix < aChars.length && prefix < bChars.length &&
    aChars[prefix] === bChars[prefix]
  ) prefix++;
  return Math.min(1, distance + 0.1 * prefix * (1 - distance));
}

/**
 * The candidate clap would suggest for `input`, or `undefined`.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./_suggest.ts";
 * if (didYouMean("work", ["id", "workers"]) !== "workers") throw new Error();
 * ```
 */
export function didYouMean(
  input: string,
  candidates: Iterable<string>,
): string | undefined {
  let best: string | undefined;
  let bestScore = 0;
  for (const candidate of candidates) {
    const score = jaroWinkler(input, candidate);
    // Stable ascending sort then pop(): the last of equal best scores wins.
    if (score > 0.8 && (best === undefined || score >= bestScore)) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
