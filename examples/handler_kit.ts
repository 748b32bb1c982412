/**
 * Small helpers shared by the Deno example handlers: a blocking-style receive over the FFI
 * ZeroMQ layer, and ZHTTP payload encode/decode with plain objects.
 *
 * @module
 */

import {
  decode,
  encode,
  type TnetInput,
  type TnetMap,
} from "../src/tnetstring/mod.ts";
import { poll, POLLIN, type ZmqSocket } from "../src/zmq/mod.ts";

/**
 * Waits for the next message on `socket` and returns its frames.
 *
 * @example
 * ```ts ignore
 * const frames = await receive(pull);
 * ```
 */
export async function receive(socket: ZmqSocket): Promise<Uint8Array[]> {
  while (true) {
    const frames = socket.tryReceive();
    if (frames !== null) return frames;
    await poll([{ socket, events: POLLIN }], 1000);
  }
}

/**
 * Sends `frames`, waiting while the socket's high-water mark is reached.
 *
 * @example
 * ```ts ignore
 * await send(pub, [payload]);
 * ```
 */
export async function send(
  socket: ZmqSocket,
  frames: Uint8Array[],
): Promise<void> {
  while (!socket.trySend(frames)) await new Promise((r) => setTimeout(r, 1));
}

/**
 * Decodes a `T`-prefixed ZHTTP payload into a `Map`.
 *
 * @example
 * ```ts
 * import { parseZhttp } from "./handler_kit.ts";
 * const m = parseZhttp(new TextEncoder().encode("T9:2:id,1:a,}"));
 * if (!(m.get("id") instanceof Uint8Array)) throw new Error();
 * ```
 */
export function parseZhttp(payload: Uint8Array): TnetMap {
  if (payload[0] !== 0x54) {
    throw new SyntaxError("Cannot parse packet: not a T payload");
  }
  return decode(payload, 1).value as TnetMap;
}

/**
 * Encodes a `Map` or object as a `T`-prefixed ZHTTP payload, prefixed by `address + " "` when
 * an address is given (the form a handler publishes on its PUB socket).
 *
 * @example
 * ```ts
 * import { buildZhttp } from "./handler_kit.ts";
 * const out = buildZhttp(new Map([["id", "a"]]), "condure");
 * if (new TextDecoder().decode(out) !== "condure T9:2:id,1:a,}") throw new Error();
 * ```
 */
export function buildZhttp(
  packet: Map<string, TnetInput>,
  address?: string,
): Uint8Array {
  const body = encode(packet);
  const prefix = new TextEncoder().encode(
    address === undefined ? "T" : `${address} T`,
  );
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

/** Text of a byte-string field (empty if absent). */
export function text(m: TnetMap, key: string): string {
  const v = m.get(key);
  return v instanceof Uint8Array ? new TextDecoder().decode(v) : "";
}
