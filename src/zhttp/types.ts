/** Most ids one packet may carry (Condure's `IDS_MAX`). */
export const IDS_MAX = 128;
/** Most headers one packet may carry (Condure's `HEADERS_MAX`). */
export const HEADERS_MAX = 64;
/** Longest handler address (`from`) a session accepts. */
export const FROM_MAX = 64;

/**
 * One header as `[name, value]` bytes, in wire order and case.
 *
 * @example
 * ```ts
 * import type { Header } from "./mod.ts";
 * const te = new TextEncoder();
 * const h: Header = [te.encode("Host"), te.encode("example.com")];
 * ```
 */
export type Header = readonly [name: Uint8Array, value: Uint8Array];

/**
 * A session id and, optionally, the sequence number of this packet for it.
 *
 * @example
 * ```ts
 * import type { PacketId } from "./mod.ts";
 * const id: PacketId = { id: new TextEncoder().encode("0-0-0"), seq: 0 };
 * ```
 */
export interface PacketId {
  /** Session id bytes (`"{worker}-{slot}-{counter}"` for ids this manager makes). */
  id: Uint8Array;
  /** Sequence number; omitted from the output (and absent on input) when undefined. */
  seq?: number;
}

/**
 * A packet the manager sends to a handler. With one id, `id`/`seq` are written at the
 * top level; with more, as a list of `{id, seq}` maps. `from` is left out when empty
 * (req mode).
 *
 * @example
 * ```ts
 * import type { OutboundPacket } from "./mod.ts";
 * const p: OutboundPacket = {
 *   type: "credit",
 *   from: new TextEncoder().encode("condure"),
 *   ids: [{ id: new TextEncoder().encode("0-0-0"), seq: 3 }],
 *   credits: 5,
 * };
 * ```
 */
export type OutboundPacket =
  & {
    /** Instance id (stream mode); empty in req mode. */
    from: Uint8Array;
    /** The addressed session(s): 1 to {@linkcode IDS_MAX}. */
    ids: readonly PacketId[];
  }
  & (
    | {
      type: "request";
      method: string;
      uri: string;
      headers: readonly Header[];
      /** Req mode: the whole body (omitted when empty). */
      body?: Uint8Array;
      /** Stream mode: credits granted to the handler (omitted when 0 or absent). */
      credits?: number;
      /** Stream HTTP: a body follows. */
      more?: boolean;
      /** Stream HTTP (not WebSocket). */
      stream?: boolean;
      /** Client IP; `peer-port` is written only together with it. */
      peerAddress?: string;
      peerPort?: number;
    }
    | {
      type: "data";
      body?: Uint8Array;
      more?: boolean;
      /** WebSocket message type. */
      contentType?: "text" | "binary";
    }
    | { type: "credit"; credits: number }
    | { type: "keep-alive" | "cancel" | "handoff-proceed" }
    | {
      type: "close";
      /** WebSocket close code; without it no `code` and no `body` are written. */
      code?: number;
      /** Close reason (UTF-8), written only with a code and when non-empty. */
      body?: Uint8Array;
    }
    | { type: "ping" | "pong"; body?: Uint8Array }
  );

/**
 * A packet a handler sent, as Condure reads it. Byte fields are views of the payload.
 *
 * @example
 * ```ts
 * import { parsePacket } from "./mod.ts";
 * const p = parsePacket(new TextEncoder().encode("T22:2:id,1:a,4:code,3:200#}"));
 * if (p.type !== "" || p.code !== 200 || p.ids[0]?.seq !== undefined) throw new Error();
 * ```
 */
export interface InboundPacket {
  /** Handler address; empty if absent. */
  from: Uint8Array;
  /** From the `id` string or the list form; may be empty. */
  ids: PacketId[];
  /** `""` for data; otherwise the type string as sent (unknown types preserved). */
  type: string;
  /** `ext.multi` (informational). */
  multi: boolean;
  /** `code` when present (truncated to 16 bits, as Condure does). */
  code?: number;
  /** `reason` when present. */
  reason?: string;
  /** `headers` when present (data and error packets). */
  headers?: Header[];
  /** `body`; empty if absent. */
  body: Uint8Array;
  /** `more` (false if absent). */
  more: boolean;
  /** `credits` (0 if absent; truncated to 32 bits, as Condure does). */
  credits: number;
  /** `content-type`, normalized as Condure does: `"binary"`, anything else `"text"`. */
  contentType?: string;
  /** `condition` (error packets). */
  condition?: string;
  /** Whether a `body` field was read. */
  hasBody: boolean;
}
