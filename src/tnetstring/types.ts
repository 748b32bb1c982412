/**
 * A decoded tnetstring value.
 *
 * | tnetstring type | TypeScript value |
 * |---|---|
 * | `,` byte string | `Uint8Array` |
 * | `#` integer, `^` float | `number` |
 * | `!` boolean | `boolean` |
 * | `~` null | `null` |
 * | `]` list | `TnetValue[]` |
 * | `}` dict | {@linkcode TnetMap} |
 *
 * @example Building a value by hand
 * ```ts
 * import type { TnetValue } from "./mod.ts";
 * const value: TnetValue = [new Uint8Array([104, 105]), 42, true, null];
 * ```
 */
export type TnetValue =
  | Uint8Array
  | number
  | boolean
  | null
  | TnetValue[]
  | TnetMap;

/**
 * A tnetstring dict: UTF-8 string keys in insertion order.
 *
 * @example
 * ```ts
 * import type { TnetMap } from "./mod.ts";
 * const map: TnetMap = new Map([["seq", 0]]);
 * ```
 */
export type TnetMap = Map<string, TnetValue>;

/**
 * What the encoder accepts: a {@linkcode TnetValue} in which JavaScript strings may stand
 * for byte strings at any depth (they are written as UTF-8).
 *
 * @example
 * ```ts
 * import type { TnetInput } from "./mod.ts";
 * const input: TnetInput = new Map<string, TnetInput>([["method", "GET"], ["seq", 0]]);
 * ```
 */
export type TnetInput =
  | TnetValue
  | string
  | TnetInput[]
  | Map<string, TnetInput>;
