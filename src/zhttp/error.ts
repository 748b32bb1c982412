/**
 * A handler packet that Condure would refuse; `message` is the text Condure logs after
 * `zhttp parse error: ` (e.g. `seq must be of type int`, `too many headers`).
 *
 * @example
 * ```ts
 * import { parsePacket, ZhttpParseError } from "./mod.ts";
 * try {
 *   parsePacket(new TextEncoder().encode("X"));
 * } catch (e) {
 *   if (!(e instanceof ZhttpParseError) || e.message !== "unrecognized data format") throw e;
 * }
 * ```
 */
export class ZhttpParseError extends SyntaxError {
  /** @param message Condure's message text. */
  constructor(message: string) {
    super(message);
    this.name = "ZhttpParseError";
  }
}
