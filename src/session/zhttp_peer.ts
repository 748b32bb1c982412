/**
 * The handler side of one ZHTTP session, shared by the stream-mode sessions: the session id,
 * outbound and inbound sequence numbers, the handler address, sending packets to it, the
 * checks every inbound packet passes, the session-timeout deadline and the keep-alive
 * schedule (reference §6.9, §6.10).
 *
 * @module
 */

import {
  bytesEqual,
  encodePacket,
  FROM_MAX,
  type InboundPacket,
  type OutboundPacket,
  type PacketId,
} from "../zhttp/mod.ts";
import type { SessionHost } from "./host.ts";
import { KEEP_ALIVE_INTERVAL_MS } from "./keep_alive.ts";

const EMPTY = new Uint8Array(0);

const ENCODER = new TextEncoder();

/** An outbound packet without its `from` and `ids` (the peer adds them). */
export type PeerPacket = OutboundPacket extends infer P
  ? P extends unknown ? Omit<P, "from" | "ids"> : never
  : never;

/**
 * The handler side of one stream-mode session.
 *
 * @example
 * ```ts
 * import { ZhttpPeer } from "./zhttp_peer.ts";
 * import type { SessionHost } from "./host.ts";
 * import { Logger } from "../log.ts";
 * const sent: Uint8Array[] = [];
 * const host: SessionHost = {
 *   instanceId: new Uint8Array(0), bufferSize: 8192, streamTimeoutMs: 10_000,
 *   sessionTimeoutMs: 60_000, logger: new Logger("example"), nextId: () => "0-0-0",
 *   register: () => {}, unregister: () => {}, sendPush: () => {},
 *   sendTo: (_a, payload) => void sent.push(payload), now: () => 0,
 * };
 * const peer = new ZhttpPeer(host);
 * peer.reset("0-0-0", 0);
 * peer.send({ type: "cancel" }); // no handler address yet: nothing is sent
 * if (sent.length !== 0 || peer.takeSeq() !== 0) throw new Error();
 * ```
 */
export class ZhttpPeer {
  readonly #host: SessionHost;
  #id = "";
  #idBytes: Uint8Array = EMPTY;
  #outSeq = 0;
  #inSeq = 0;
  #addr: Uint8Array | null = null;
  #keepAliveDue = 0;
  /** The session-timeout deadline, refreshed by every accepted packet. */
  sessionDeadline = 0;

  /** Creates the handler side of a session of `host`; {@linkcode reset} gives it an id. */
  constructor(host: SessionHost) {
    this.#host = host;
  }

  /** The session id. */
  get id(): string {
    return this.#id;
  }

  /** The handler address, once a packet came from the handler. */
  get address(): Uint8Array | null {
    return this.#addr;
  }

  /** Starts a new exchange for `id`: no handler yet, seqs at 0, session deadline from `now`. */
  reset(id: string, now: number): void {
    this.#id = id;
    this.#idBytes = EMPTY;
    this.#outSeq = 0;
    this.#inSeq = 0;
    this.#addr = null;
    this.sessionDeadline = now + this.#host.sessionTimeoutMs;
  }

  /** The `ids` of the request packet (seq 0); the next outbound seq is 1. */
  requestIds(): PacketId[] {
    this.#idBytes = ENCODER.encode(this.#id);
    this.#outSeq = 1;
    return [{ id: this.#idBytes, seq: 0 }];
  }

  /** Sends `packet` to the handler with the next seq (nothing before the handler is known). */
  send(packet: PeerPacket): void {
    const addr = this.#addr;
    if (addr === null) return;
    const payload = encodePacket({
      from: this.#host.instanceId,
      ids: [{ id: this.#idBytes, seq: this.#outSeq++ }],
      ...packet,
    });
    this.#host.sendTo(addr, payload);
  }

  /** Consumes one outbound seq (for batched keep-alive / cancel packets). */
  takeSeq(): number {
    return this.#outSeq++;
  }

  /**
   * Checks an inbound packet's `from` length and `seq` (consuming the seq) and, while
   * `flushing` a handoff, that no packet comes at all: the detail of a `BadMessage` error.
   * Otherwise (null) the packet is used: its `from` becomes the handler address, the session
   * deadline is refreshed and, on the first packet, the keep-alive schedule starts.
   */
  receive(
    p: InboundPacket,
    seq: number | undefined,
    flushing: boolean,
  ): string | null {
    if (p.from.length > FROM_MAX) return "from address too long";
    if (seq !== undefined) {
      if (seq !== this.#inSeq) {
        return `bad seq (expected ${this.#inSeq}, got ${seq})`;
      }
      this.#inSeq++;
    }
    if (flushing) return "unexpected packet during handoff";
    const first = this.#addr === null;
    // keep our own copy (the packet is a view into a batch buffer), but only when it changes
    if (first || !bytesEqual(this.#addr!, p.from)) this.#addr = p.from.slice();
    this.sessionDeadline = this.#host.now() + this.#host.sessionTimeoutMs;
    if (first) this.#keepAliveDue = this.#host.now() + KEEP_ALIVE_INTERVAL_MS;
    return null;
  }

  /** The handler address keep-alives go to, if one is due now (never while `paused`). */
  keepAliveAddress(now: number, paused: boolean): Uint8Array | null {
    if (this.#addr === null || paused || now < this.#keepAliveDue) return null;
    this.#keepAliveDue = now + KEEP_ALIVE_INTERVAL_MS;
    return this.#addr;
  }

  /**
   * When a keep-alive is next due: its schedule, or (no handler yet, or `paused`) never sooner
   * than `now` + the keep-alive interval.
   */
  keepAliveDeadline(now: number, paused: boolean): number {
    return this.#addr !== null && !paused
      ? this.#keepAliveDue
      : now + KEEP_ALIVE_INTERVAL_MS;
  }

  /** Logs a session error as Condure does (`conn <id>: process error: <detail>`). */
  processError(detail: string): void {
    this.#host.logger.debug(`conn ${this.#id}: process error: ${detail}`);
  }
}
