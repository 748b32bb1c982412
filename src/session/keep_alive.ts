/**
 * Batched keep-alive and cancel packets toward handlers (reference §6.10, §6.13): sessions are
 * grouped by handler address, at most {@linkcode IDS_MAX} ids and about 65000 bytes per packet;
 * one id gives the plain form, several the list form.
 *
 * @module
 */

import { encodePacket, IDS_MAX, type PacketId } from "../zhttp/mod.ts";

/** Interval between keep-alives for one session. */
export const KEEP_ALIVE_INTERVAL_MS = 45_000;

/** Upper bound on the payload of one batched packet. */
export const BATCH_BYTES_MAX = 65_000;

const ENCODER = new TextEncoder();

/** A session taking part in a batch: its id and a way to take its next outbound seq. */
export interface BatchMember {
  /** Current session id. */
  readonly id: string;
  /** Consumes one outbound sequence number. */
  takeSeq(): number;
}

/**
 * Builds batched `keep-alive` or `cancel` packets for sessions grouped by handler address.
 *
 * @example
 * ```ts
 * import { batchPackets } from "./keep_alive.ts";
 * let seq = 3;
 * const out = batchPackets(new TextEncoder().encode("condure"), "keep-alive", [
 *   [new TextEncoder().encode("h1"), { id: "0-0-0", takeSeq: () => seq++ }],
 * ]);
 * if (out.length !== 1) throw new Error();
 * ```
 */
export function batchPackets(
  from: Uint8Array,
  type: "keep-alive" | "cancel",
  members: Iterable<readonly [address: Uint8Array, member: BatchMember]>,
): Array<[address: Uint8Array, payload: Uint8Array]> {
  const groups = new Map<
    string,
    { address: Uint8Array; members: BatchMember[] }
  >();
  for (const [address, member] of members) {
    const key = String.fromCharCode(...address);
    let g = groups.get(key);
    if (g === undefined) {
      g = { address, members: [] };
      groups.set(key, g);
    }
    g.members.push(member);
  }
  const out: Array<[Uint8Array, Uint8Array]> = [];
  for (const g of groups.values()) {
    let ids: PacketId[] = [];
    let bytes = 0;
    const flush = () => {
      if (ids.length === 0) return;
      out.push([g.address, encodePacket({ from, ids, type })]);
      ids = [];
      bytes = 0;
    };
    for (const m of g.members) {
      const id = ENCODER.encode(m.id);
      const cost = id.length + 32;
      if (ids.length >= IDS_MAX || bytes + cost > BATCH_BYTES_MAX) flush();
      ids.push({ id, seq: m.takeSeq() });
      bytes += cost;
    }
    flush();
  }
  return out;
}
