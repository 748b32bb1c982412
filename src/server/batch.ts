/**
 * Packing of ZeroMQ-bound packets into one transferable buffer per event-loop turn, so that a
 * worker isolate and the hub exchange one `postMessage` per batch instead of one per packet.
 *
 * Layout of a batch: a sequence of records `[kind u8][identity length u16][identity][payload
 * length u32][payload]`, big-endian lengths. `kind` says which socket the packet is for.
 *
 * @module
 */

/** Which manager socket a packet travels on. */
export const PacketRoute = {
  /** The PUSH socket (first packet of a stream session). */
  Push: 0,
  /** The ROUTER socket, addressed to a handler identity. */
  Router: 1,
  /** The req-mode DEALER socket. */
  Dealer: 2,
  /** Inbound: a stream-mode packet for this worker (from the SUB socket). */
  Stream: 3,
  /** Inbound: a req-mode reply for this worker (from the DEALER socket). */
  Req: 4,
} as const;

/** A route value. */
export type PacketRoute = typeof PacketRoute[keyof typeof PacketRoute];

const EMPTY = new Uint8Array(0);

/**
 * Accumulates packets and hands them out as one buffer.
 *
 * @example
 * ```ts
 * import { BatchWriter, readBatch, PacketRoute } from "./batch.ts";
 * const w = new BatchWriter();
 * w.add(PacketRoute.Push, new Uint8Array([1, 2]));
 * const seen: number[] = [];
 * readBatch(w.take()!, (route, _identity, payload) => seen.push(route, payload.length));
 * if (seen.join() !== "0,2") throw new Error();
 * ```
 */
export class BatchWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  /** Creates a writer whose first buffer holds `initialSize` bytes. */
  constructor(initialSize = 16384) {
    this.#buf = new Uint8Array(initialSize);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Number of bytes waiting. */
  get size(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Appends one packet. `identity` is only meaningful for {@linkcode PacketRoute.Router}. */
  add(
    route: PacketRoute,
    payload: Uint8Array,
    identity: Uint8Array = EMPTY,
  ): void {
    if (identity.length > 0xffff) {
      throw new RangeError("Cannot batch packet: identity too long");
    }
    this.#reserve(7 + identity.length + payload.length);
    const v = this.#view;
    let p = this.#len;
    v.setUint8(p, route);
    v.setUint16(p + 1, identity.length);
    p += 3;
    this.#buf.set(identity, p);
    p += identity.length;
    v.setUint32(p, payload.length);
    p += 4;
    this.#buf.set(payload, p);
    this.#len = p + payload.length;
  }

  /** Returns the packed batch (a fresh buffer that can be transferred), or null if empty. */
  take(): Uint8Array<ArrayBuffer> | null {
    if (this.#len === 0) return null;
    const out = this.#buf.slice(0, this.#len);
    this.#len = 0;
    return out;
  }
}

/**
 * Calls `onPacket` for each record of a batch; the arrays passed are views into `batch`.
 *
 * @example
 * ```ts
 * import { BatchWriter, readBatch, PacketRoute } from "./batch.ts";
 * const w = new BatchWriter();
 * w.add(PacketRoute.Router, new Uint8Array([9]), new TextEncoder().encode("h1"));
 * readBatch(w.take()!, (_route, identity) => {
 *   if (new TextDecoder().decode(identity) !== "h1") throw new Error();
 * });
 * ```
 */
export function readBatch(
  batch: Uint8Array,
  onPacket: (
    route: PacketRoute,
    identity: Uint8Array,
    payload: Uint8Array,
  ) => void,
): void {
  const v = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  let p = 0;
  while (p + 7 <= batch.length) {
    const route = v.getUint8(p) as PacketRoute;
    const idLen = v.getUint16(p + 1);
    p += 3;
    const identity = batch.subarray(p, p + idLen);
    p += idLen;
    const len = v.getUint32(p);
    p += 4;
    if (p + len > batch.length) {
      throw new RangeError("Cannot read batch: truncated record");
    }
    onPacket(route, identity, batch.subarray(p, p + len));
    p += len;
  }
}
