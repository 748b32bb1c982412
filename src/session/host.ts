/**
 * The seams between a session state machine and the world around it: the client connection
 * (bytes) and the worker (ids, ZeroMQ sockets, clock). Sessions hold no sockets themselves, so
 * tests drive them with fakes, bytes in and packets out.
 *
 * @module
 */

import type { Logger } from "../log.ts";

/**
 * What a session may do with its client connection.
 *
 * @example
 * ```ts
 * import type { ClientIo } from "./host.ts";
 * const sink: Uint8Array[] = [];
 * const io: ClientIo = {
 *   write: (data) => void sink.push(data),
 *   setReading: () => {},
 *   close: () => {},
 * };
 * io.write(new Uint8Array(1), 0);
 * ```
 */
export interface ClientIo {
  /**
   * Queues bytes for the client. `bodyBytes` is how many handler body bytes the write carries;
   * the session is told again through `onWritten` once they are flushed (a zero-length write
   * with `bodyBytes > 0` acknowledges discarded body bytes).
   */
  write(data: Uint8Array, bodyBytes: number): void;
  /** Allows or stops reading from the client. */
  setReading(on: boolean): void;
  /** Closes the connection; queued writes are flushed first when `graceful`. */
  close(graceful: boolean): void;
}

/**
 * Where the client is, as request packets carry it.
 *
 * @example
 * ```ts
 * import type { PeerInfo } from "./host.ts";
 * const peer: PeerInfo = { address: "::1", port: 40000 };
 * ```
 */
export interface PeerInfo {
  /** Client IP (no brackets) for TCP listeners; absent for unix sockets. */
  address?: string;
  /** Client port, with `address`. */
  port?: number;
}

/**
 * Worker-level services shared by all sessions of one worker isolate.
 *
 * @example
 * ```ts
 * import type { SessionHost } from "./host.ts";
 * const usesHost = (h: SessionHost) => h.bufferSize;
 * ```
 */
export interface SessionHost {
  /** The instance id (`from` of every packet we send). */
  readonly instanceId: Uint8Array;
  /** `--buffer-size`: per-connection buffer, initial credits. */
  readonly bufferSize: number;
  /** `--stream-timeout` in milliseconds. */
  readonly streamTimeoutMs: number;
  /** The 60 s ZHTTP session timeout in milliseconds. */
  readonly sessionTimeoutMs: number;
  /** Logger for connection events (`condure::connection`). */
  readonly logger: Logger;
  /** A new session id for the connection in `slot` (`worker-slot-counter`). */
  nextId(slot: number): string;
  /** Makes packets addressed to `id` reach `session`. */
  register(id: string, session: PacketSink): void;
  /** Forgets `id`. */
  unregister(id: string): void;
  /** Sends the first packet of a session on the PUSH socket. */
  sendPush(payload: Uint8Array): void;
  /** Sends a packet to a handler identity on the ROUTER socket. */
  sendTo(address: Uint8Array, payload: Uint8Array): void;
  /** Current time in milliseconds (monotonic enough for timeouts). */
  now(): number;
}

/** Something that takes ZHTTP packets addressed to one session id. */
export interface PacketSink {
  /** Delivers a parsed packet; `seq` is this id's sequence number in the packet, if any. */
  onPacket(
    packet: import("../zhttp/mod.ts").InboundPacket,
    seq: number | undefined,
  ): void;
  /** Whether keep-alives are due, and for which handler: returns the address or null. */
  keepAliveAddress(now: number): Uint8Array | null;
  /** Consumes one outbound sequence number for a batched packet and returns it. */
  takeSeq(): number;
  /** Current session id. */
  readonly id: string;
  /** Ends the connection at once without sending anything (shutdown, contained failures). */
  abort(): void;
}
