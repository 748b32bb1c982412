// Fakes for driving session state machines without sockets: a host that records packets and
// a client connection whose writes complete only when the test says so.

import { Logger } from "../../src/log.ts";
import type {
  ClientIo,
  PacketSink,
  SessionHost,
} from "../../src/session/host.ts";
import {
  decode,
  type TnetMap,
  type TnetValue,
} from "../../src/tnetstring/mod.ts";
import type { InboundPacket } from "../../src/zhttp/mod.ts";

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Decodes a "T…" payload into a plain object with string values for bytes. */
export function decodePayload(payload: Uint8Array): Record<string, unknown> {
  if (payload[0] !== 0x54) throw new Error("not a T payload");
  return toPlain(decode(payload, 1).value) as Record<string, unknown>;
}

function toPlain(v: TnetValue): unknown {
  if (v instanceof Uint8Array) return dec(v);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v as TnetMap) o[k] = toPlain(x);
    return o;
  }
  return v;
}

/** The keys of a "T…" payload in order. */
export function payloadKeys(payload: Uint8Array): string[] {
  return [...(decode(payload, 1).value as TnetMap).keys()];
}

export class FakeHost implements SessionHost {
  readonly instanceId = enc("condure");
  readonly bufferSize: number;
  readonly streamTimeoutMs: number;
  readonly sessionTimeoutMs = 60_000;
  readonly logger = new Logger("test");
  counter = 0;
  time = 1_000;
  readonly sessions = new Map<string, PacketSink>();
  readonly pushed: Record<string, unknown>[] = [];
  readonly routed: Array<{ to: string; packet: Record<string, unknown> }> = [];

  constructor(options: { bufferSize?: number; streamTimeoutMs?: number } = {}) {
    this.bufferSize = options.bufferSize ?? 8192;
    this.streamTimeoutMs = options.streamTimeoutMs ?? 1_800_000;
  }
  nextId(slot: number): string {
    return `0-${slot}-${(this.counter++).toString(16)}`;
  }
  register(id: string, session: PacketSink): void {
    this.sessions.set(id, session);
  }
  unregister(id: string): void {
    this.sessions.delete(id);
  }
  sendPush(payload: Uint8Array): void {
    this.pushed.push(decodePayload(payload));
  }
  sendTo(address: Uint8Array, payload: Uint8Array): void {
    this.routed.push({ to: dec(address), packet: decodePayload(payload) });
  }
  now(): number {
    return this.time;
  }
}

export interface Flushable {
  onWritten(bodyBytes: number): void;
}

export class FakeIo implements ClientIo {
  out = "";
  reading = false;
  closed = false;
  graceful = false;
  pending: number[] = [];
  session: Flushable | null = null;

  write(data: Uint8Array, bodyBytes: number): void {
    if (this.closed) return;
    this.out += new TextDecoder("latin1").decode(data);
    this.pending.push(bodyBytes);
  }
  setReading(on: boolean): void {
    this.reading = on;
  }
  close(graceful: boolean): void {
    this.closed = true;
    this.graceful = graceful;
  }
  /** Completes every pending write. */
  flush(): void {
    while (this.pending.length > 0) {
      const n = this.pending.shift()!;
      this.session?.onWritten(n);
    }
  }
  take(): string {
    const s = this.out;
    this.out = "";
    return s;
  }
}

/** Builds an inbound packet. */
export function packet(
  fields: Omit<Partial<InboundPacket>, "from"> & { from?: string },
): InboundPacket {
  const { from, ...rest } = fields;
  return {
    from: enc(from ?? "h1"),
    ids: [],
    type: "",
    body: new Uint8Array(0),
    more: false,
    credits: 0,
    hasBody: false,
    multi: false,
    ...rest,
  } as InboundPacket;
}
