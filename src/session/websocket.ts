/**
 * The stream-mode WebSocket session (reference §7): after an upgrade request is read by
 * {@linkcode StreamHttpConnection}, this takes over the connection: it sends the request
 * packet, writes the handler's accept or rejection, then relays frames both ways under
 * credits, runs the close handshake, handoff, keep-alives and timeouts.
 *
 * No I/O happens here: bytes arrive through {@linkcode WebSocketSession.onRead}, packets
 * through {@linkcode WebSocketSession.onPacket}, and everything goes out through the
 * {@linkcode ClientIo} and {@linkcode SessionHost} seams.
 *
 * Bounded memory: client bytes wait in the connection's read buffer (reading stops when it is
 * full and the handler grants no credits); handler bytes are limited by the credits given to
 * the handler (the buffer size, returned as bytes reach the client) and by `messagesMax`.
 *
 * `--messages-max` (messages from the handler not yet written to the client): Condure writes
 * to the socket between packets, so only a stalled client makes messages pile up there. Here a
 * whole batch of packets is handled before any write completes, so the limit is enforced when
 * the client makes no write progress for a timer tick (a stalled client); while writes
 * progress, only the hard bound of `messagesMax + bufferSize` queued messages applies (a
 * handler respecting its credits cannot exceed it with non-empty messages).
 *
 * @module
 */

import {
  encodePacket,
  FROM_MAX,
  type Header,
  type InboundPacket,
} from "../zhttp/mod.ts";
import { CloseCode, WsProtocolError } from "../websocket/mod.ts";
import type { ClientIo, PacketSink, SessionHost } from "./host.ts";
import { KEEP_ALIVE_INTERVAL_MS } from "./keep_alive.ts";
import {
  encodeAcceptHead,
  encodeWsHttpResponse,
  WS_ACCEPT_HEADERS_MAX,
  type WsUpgrade,
} from "./ws_handshake.ts";
import { WsInbound, type WsInboundEvent } from "./ws_inbound.ts";
import { WsOutbound } from "./ws_outbound.ts";
import { ReadPool } from "./read_pool.ts";

const ENCODER = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Default `--messages-max`. */
export const MESSAGES_MAX_DEFAULT = 100;

/** WebSocket settings from the command line. */
export interface WebSocketConfig {
  /** `--compression`: negotiate permessage-deflate. */
  compression: boolean;
  /** `--messages-max`: handler → client messages queued per connection. */
  messagesMax: number;
}

/** The upgrade request, as the request packet carries it. */
export interface WsRequest {
  /** Method (always `GET`). */
  method: string;
  /** `ws://` or `wss://` URI. */
  uri: string;
  /** Request headers (copied into the packet at once). */
  headers: readonly Header[];
  /** Client IP, absent for unix sockets. */
  peerAddress?: string;
  /** Client port, with `peerAddress`. */
  peerPort?: number;
}

/** Options of {@linkcode WebSocketSession}. */
export interface WebSocketSessionOptions {
  /** The session id (already registered with the host by the connection). */
  id: string;
  /** The connection's read buffer, and the unread bytes in it (`start`..`end`). */
  buffer: Uint8Array;
  /** Start of the unread bytes. */
  start: number;
  /** End of the unread bytes. */
  end: number;
  /**
   * The connection's idle read slot (from `readPool`); when given, the session reads into it
   * whenever nothing is buffered and the last read did not fill its target, and `buffer` (if
   * it is not the slot) is a pooled buffer the session now owns.
   */
  slot?: Uint8Array;
  /** The worker's read buffers (default: one shared by the isolate for the buffer size). */
  readPool?: ReadPool;
  /** The request's minor HTTP version. */
  versionMinor: 0 | 1;
  /** The validated upgrade (accept key, deflate agreement). */
  upgrade: WsUpgrade;
  /** `--messages-max`. */
  messagesMax: number;
  /** The session-timeout deadline running for this request cycle. */
  sessionDeadline: number;
  /** Called when {@linkcode WebSocketSession.nextDeadline} moved sooner than it said before. */
  onWake?: () => void;
}

type Phase =
  | "wait" // request sent, waiting for the handler's accept
  | "open" // accepted: relaying frames
  | "handoff-flush"
  | "handoff-wait"
  | "closed";

/** Per-write bookkeeping: whether the write completes a queued message. */
const ENDS_MESSAGE = 1;

/**
 * One WebSocket connection in stream mode, after its upgrade request head was read.
 *
 * @example
 * ```ts ignore
 * const ws = new WebSocketSession(host, io, options);
 * ws.start(request); // sends the request packet; then feed onRead/onPacket/onWritten…
 * ```
 */
export class WebSocketSession implements PacketSink {
  readonly #host: SessionHost;
  readonly #io: ClientIo;
  readonly #id: string;
  readonly #idBytes: Uint8Array;
  #buf: Uint8Array;
  readonly #slot: Uint8Array | null;
  readonly #pool: ReadPool;
  /** Whether the last read filled its target (more bytes are probably waiting). */
  #lastReadFull = false;
  #lastTarget = 0;
  #released = false;
  #start: number;
  #end: number;
  readonly #versionMinor: 0 | 1;
  readonly #upgrade: WsUpgrade;
  readonly #messagesMax: number;
  #phase: Phase = "wait";
  #resumePhase: Phase = "wait";
  #outSeq = 0;
  #inSeq = 0;
  #addr: Uint8Array | null = null;
  #reading = false;
  #clientEof = false;
  /** The client's close frame was received (and forwarded). */
  #peerClosed = false;
  /** Our close frame was queued. */
  #sentClose = false;
  /** Client → handler credits. */
  #credits = 0;
  /** Handler → client bytes the handler may still send. */
  #handlerRoom: number;
  #queuedMessages = 0;
  /** Credits earned by completed writes, sent together once the current job ends. */
  #creditsOwed = 0;
  #creditFlushScheduled = false;
  /** Writes completed so far, and at the last tick: no change = the client is stalled. */
  #writesDone = 0;
  #writesDoneAtTick = 0;
  #pendingWrites = 0;
  #writeFlags: number[] = [];
  #writeHead = 0;
  #inbound: WsInbound | null = null;
  #outbound: WsOutbound | null = null;
  #sessionDeadline: number;
  #streamDeadline = 0;
  #keepAliveDue = 0;
  readonly #onWake: (() => void) | undefined;

  /** Creates the session; call {@linkcode start} to send the request packet. */
  constructor(
    host: SessionHost,
    io: ClientIo,
    options: WebSocketSessionOptions,
  ) {
    this.#host = host;
    this.#io = io;
    this.#id = options.id;
    this.#idBytes = ENCODER.encode(options.id);
    this.#buf = options.buffer;
    this.#slot = options.slot ?? null;
    this.#pool = options.readPool ?? ReadPool.shared(host.bufferSize);
    this.#start = options.start;
    this.#end = options.end;
    this.#versionMinor = options.versionMinor;
    this.#upgrade = options.upgrade;
    this.#messagesMax = options.messagesMax;
    this.#handlerRoom = host.bufferSize;
    this.#sessionDeadline = options.sessionDeadline;
    this.#onWake = options.onWake;
    this.#touchStream();
  }

  /** The session id. */
  get id(): string {
    return this.#id;
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.#phase === "closed";
  }

  /** Sends the request packet (reference §7.2) and waits for the handler. */
  start(request: WsRequest): void {
    const payload = encodePacket({
      from: this.#host.instanceId,
      ids: [{ id: this.#idBytes, seq: 0 }],
      type: "request",
      method: request.method,
      uri: request.uri,
      headers: request.headers,
      credits: this.#host.bufferSize,
      ...(request.peerAddress !== undefined
        ? { peerAddress: request.peerAddress, peerPort: request.peerPort ?? 0 }
        : {}),
    });
    this.#outSeq = 1;
    this.#host.sendPush(payload);
  }

  // ---- client side ----

  /** The free part of the read buffer, for the next read from the client. */
  readTarget(): Uint8Array {
    // Only here may bytes move: a read into the returned target may be in flight later on.
    const slot = this.#slot;
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      if (
        slot !== null && this.#buf !== slot && !this.#lastReadFull &&
        !this.#released
      ) {
        // drained and the client paused: an idle WebSocket holds only its slot
        this.#pool.give(this.#buf);
        this.#buf = slot;
      }
    } else if (this.#end === this.#buf.length) {
      if (this.#buf === slot) {
        const full = this.#pool.take();
        full.set(slot.subarray(this.#start, this.#end));
        this.#buf = full;
        this.#end -= this.#start;
        this.#start = 0;
      } else if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
    }
    const target = this.#end === 0 ? this.#buf : this.#buf.subarray(this.#end);
    this.#lastTarget = target.length;
    return target;
  }

  /** The connection is closed and no read targets its buffers: they go back to the pool. */
  release(): void {
    if (this.#released || this.#slot === null) return;
    this.#released = true;
    if (this.#buf !== this.#slot) this.#pool.give(this.#buf);
    this.#pool.giveSlot(this.#slot);
    this.#buf = EMPTY;
  }

  /** `n` bytes were read into {@linkcode readTarget}. */
  onRead(n: number): void {
    if (this.#phase === "closed") return;
    this.#lastReadFull = n === this.#lastTarget;
    this.#end += n;
    this.#touchStream();
    if (
      this.#lastReadFull && this.#buf === this.#slot &&
      this.#phase === "open" && this.#pool.bufferSize > this.#buf.length &&
      this.#inbound!.endsMidFrame(this.#buf.subarray(this.#start, this.#end))
    ) {
      // The idle slot filled in the middle of a frame: the next readTarget() moves the bytes to
      // a pooled buffer and the rest of the frame is read before anything is forwarded.
      this.#setReading(true);
      return;
    }
    this.#process();
  }

  /** The client closed its sending side (or the connection). */
  onEof(): void {
    if (this.#phase === "closed") return;
    this.#clientEof = true;
    this.#setReading(false);
    if (this.#phase === "wait" || this.#peerClosed) return;
    // TCP EOF without a close frame (reference §7.7)
    this.#close(true, false);
  }

  /** Writing to the client failed: the client is gone. */
  onWriteError(): void {
    if (this.#phase === "closed") return;
    this.#close(true, false);
  }

  /** A write carrying `bodyBytes` handler payload bytes reached the client. */
  onWritten(bodyBytes: number): void {
    if (this.#phase === "closed") return;
    this.#pendingWrites--;
    this.#writesDone++;
    const flags = this.#writeFlags[this.#writeHead++] ?? 0;
    if (this.#writeHead === this.#writeFlags.length) {
      this.#writeFlags.length = 0;
      this.#writeHead = 0;
    }
    if ((flags & ENDS_MESSAGE) !== 0) this.#queuedMessages--;
    if (bodyBytes > 0) {
      this.#touchStream();
      this.#handlerRoom += bodyBytes;
      // The connection reports a coalesced write as many completions in a row: one credit
      // packet for all of them (as Condure sends one per socket write).
      this.#creditsOwed += bodyBytes;
      if (!this.#creditFlushScheduled) {
        this.#creditFlushScheduled = true;
        queueMicrotask(() => {
          this.#creditFlushScheduled = false;
          this.#flushCredits();
        });
      }
    }
    if (this.#pendingWrites === 0 && this.#phase === "handoff-flush") {
      this.#proceedHandoff();
    }
  }

  /** Timer check; closes the connection on session or stream timeout. */
  onTick(now: number): void {
    if (this.#phase === "closed") return;
    const stalled = this.#writesDone === this.#writesDoneAtTick;
    this.#writesDoneAtTick = this.#writesDone;
    if (stalled && this.#queuedMessages > this.#messagesMax) {
      this.#host.logger.debug(
        `conn ${this.#id}: process error: too many messages queued`,
      );
      this.#close(true, false);
    } else if (now >= this.#sessionDeadline) {
      this.#host.logger.debug(`conn ${this.#id}: process error: Timeout`);
      this.#close(false, false);
    } else if (now >= this.#streamDeadline) {
      this.#host.logger.debug(`conn ${this.#id}: process error: Timeout`);
      this.#close(true, false);
    }
  }

  /** The handler address keep-alives go to, if one is due now. */
  keepAliveAddress(now: number): Uint8Array | null {
    if (this.#addr === null || this.#phase === "closed") return null;
    if (this.#phase === "handoff-flush" || this.#phase === "handoff-wait") {
      return null;
    }
    if (now < this.#keepAliveDue) return null;
    this.#keepAliveDue = now + KEEP_ALIVE_INTERVAL_MS;
    return this.#addr;
  }

  /**
   * When {@linkcode onTick} or {@linkcode keepAliveAddress} may next have work (`Infinity`:
   * never): every tick while more than `--messages-max` messages are queued (stall check),
   * else the session, stream and keep-alive deadlines; a keep-alive schedule that has not
   * started yet is never sooner than `now` + the keep-alive interval. Sooner answers than
   * before are announced through `onWake`.
   */
  nextDeadline(now: number): number {
    if (this.#phase === "closed") return Infinity;
    if (this.#queuedMessages > this.#messagesMax) return now;
    const keepAlive = this.#addr !== null &&
        this.#phase !== "handoff-flush" && this.#phase !== "handoff-wait"
      ? this.#keepAliveDue
      : now + KEEP_ALIVE_INTERVAL_MS;
    return Math.min(this.#sessionDeadline, this.#streamDeadline, keepAlive);
  }

  /** Consumes one outbound seq (for batched keep-alive / cancel packets). */
  takeSeq(): number {
    return this.#outSeq++;
  }

  /** The address a shutdown cancel goes to, if any. */
  cancelAddress(): Uint8Array | null {
    if (this.#phase === "closed") return null;
    return this.#addr;
  }

  /** Closes without sending anything (shutdown after batched cancels). */
  abort(): void {
    if (this.#phase !== "closed") this.#close(false, false);
  }

  // ---- handler side ----

  /** A packet for this session's id. */
  onPacket(p: InboundPacket, seq: number | undefined): void {
    const phase = this.#phase;
    if (phase === "closed") return;
    if (p.from.length > FROM_MAX) {
      this.#badMessage("from address too long");
      return;
    }
    if (seq !== undefined) {
      if (seq !== this.#inSeq) {
        this.#badMessage(`bad seq (expected ${this.#inSeq}, got ${seq})`);
        return;
      }
      this.#inSeq++;
    }
    if (phase === "handoff-flush") {
      this.#badMessage("unexpected packet during handoff");
      return;
    }
    const firstPacket = this.#addr === null;
    this.#addr = p.from.slice();
    this.#sessionDeadline = this.#host.now() + this.#host.sessionTimeoutMs;
    if (firstPacket) {
      this.#keepAliveDue = this.#host.now() + KEEP_ALIVE_INTERVAL_MS;
    }
    if (phase === "handoff-wait") this.#phase = this.#resumePhase;
    const waiting = this.#phase === "wait";
    switch (p.type) {
      case "":
        if (waiting) this.#accept(p);
        else this.#onData(p);
        break;
      case "credit":
        this.#credits += p.credits;
        break;
      case "keep-alive":
        break;
      case "cancel":
        this.#close(false, false);
        return;
      case "error":
        if (waiting && p.condition === "rejected") this.#reject(p);
        else this.#close(false, false);
        return;
      case "handoff-start":
        this.#resumePhase = this.#phase;
        this.#phase = "handoff-flush";
        this.#setReading(false);
        if (this.#pendingWrites === 0) this.#proceedHandoff();
        return;
      case "ping":
      case "pong":
        if (waiting) {
          this.#badMessage(`unexpected packet type: ${p.type}`);
          return;
        }
        this.#onControl(p, p.type);
        break;
      case "close":
        if (waiting) {
          this.#badMessage("unexpected packet type: close");
          return;
        }
        this.#onHandlerClose(p);
        break;
      default:
        this.#badMessage(`unexpected packet type: ${p.type}`);
        return;
    }
    this.#process();
  }

  #accept(p: InboundPacket): void {
    const headers = p.headers ?? [];
    if (headers.length > WS_ACCEPT_HEADERS_MAX) {
      this.#badMessage("too many headers in accept");
      return;
    }
    const code = p.code ?? 0;
    if (code !== 101) {
      // Condure switches to WebSocket framing anyway; we answer plain HTTP and close.
      this.#writeHttpResponse({ ...p, headers }, code, p.more);
      return;
    }
    let head: Uint8Array;
    try {
      head = encodeAcceptHead({
        versionMinor: this.#versionMinor,
        code,
        reason: p.reason ?? "",
        headers,
        upgrade: this.#upgrade,
      });
    } catch (e) {
      this.#host.logger.debug(
        `conn ${this.#id}: process error: ${(e as Error).message}`,
      );
      this.#close(true, false);
      return;
    }
    if (head.length > this.#host.bufferSize) {
      this.#host.logger.debug(
        `conn ${this.#id}: process error: response head too large`,
      );
      this.#close(true, false);
      return;
    }
    // credits workaround (reference §7.3): none in the accept means a full buffer
    this.#credits += p.credits > 0 ? p.credits : this.#host.bufferSize;
    const deflate = this.#upgrade.deflate;
    this.#inbound = new WsInbound({
      maxChunk: this.#host.bufferSize,
      deflate: deflate === null
        ? null
        : { clientNoContextTakeover: deflate.clientNoContextTakeover },
    });
    this.#outbound = new WsOutbound({
      deflate: deflate === null
        ? null
        : { serverNoContextTakeover: deflate.serverNoContextTakeover },
    });
    this.#phase = "open";
    this.#write(head, 0, 0);
  }

  #reject(p: InboundPacket): void {
    this.#writeHttpResponse(p, p.code ?? 0, false);
  }

  #writeHttpResponse(p: InboundPacket, code: number, cancel: boolean): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeWsHttpResponse({
        versionMinor: this.#versionMinor,
        code,
        reason: p.reason ?? "",
        headers: p.headers ?? [],
        body: p.body,
      });
    } catch (e) {
      this.#host.logger.debug(
        `conn ${this.#id}: process error: ${(e as Error).message}`,
      );
      this.#close(cancel, false);
      return;
    }
    this.#write(bytes, 0, 0);
    this.#close(cancel, true);
  }

  #onData(p: InboundPacket): void {
    this.#credits += p.credits;
    if (this.#sentClose) return; // after our close frame, handler data is ignored
    const out = this.#outbound!;
    const body = p.body;
    if (!this.#takeRoom(body.length, !out.inMessage)) return;
    let bytes: Uint8Array;
    try {
      bytes = out.data(body, {
        more: p.more,
        binary: p.contentType === "binary",
      });
    } catch (e) {
      this.#host.logger.debug(
        `conn ${this.#id}: process error: ${(e as Error).message}`,
      );
      this.#close(true, false);
      return;
    }
    this.#write(bytes, body.length, p.more ? 0 : ENDS_MESSAGE);
  }

  #onControl(p: InboundPacket, kind: "ping" | "pong"): void {
    this.#credits += p.credits;
    if (this.#sentClose) return;
    const body = p.body;
    if (body.length > 125) {
      this.#host.logger.debug(
        `conn ${this.#id}: process error: ${kind} payload too large`,
      );
      this.#close(true, false);
      return;
    }
    if (!this.#takeRoom(body.length, true)) return;
    this.#write(this.#outbound!.control(kind, body), body.length, ENDS_MESSAGE);
  }

  /** Reserves handler bytes (and a message slot); on overrun fails the session with cancel. */
  #takeRoom(n: number, newMessage: boolean): boolean {
    if (n > this.#handlerRoom) {
      this.#host.logger.debug(
        `conn ${this.#id}: process error: received too much data from handler`,
      );
      this.#close(true, false);
      return false;
    }
    if (newMessage) {
      if (
        this.#queuedMessages >= this.#messagesMax + this.#host.bufferSize
      ) {
        this.#host.logger.debug(
          `conn ${this.#id}: process error: too many messages queued`,
        );
        this.#close(true, false);
        return false;
      }
      this.#queuedMessages++;
      if (this.#queuedMessages === this.#messagesMax + 1) this.#onWake?.();
    }
    this.#handlerRoom -= n;
    return true;
  }

  #onHandlerClose(p: InboundPacket): void {
    if (this.#sentClose) return;
    let frame: Uint8Array;
    try {
      frame = this.#outbound!.closeFrame(p.code, p.body);
    } catch (e) {
      this.#host.logger.debug(
        `conn ${this.#id}: process error: ${(e as Error).message}`,
      );
      this.#close(true, false);
      return;
    }
    this.#sentClose = true;
    this.#write(frame, 0, 0);
    // both sides closed: end the TCP connection once the frame is out
    if (this.#peerClosed) this.#close(false, true);
  }

  // ---- relaying client frames ----

  #process(): void {
    if (this.#phase !== "open") return;
    const inbound = this.#inbound!;
    while (!this.#peerClosed) {
      let ev: WsInboundEvent | null;
      try {
        ev = inbound.next(
          this.#buf.subarray(this.#start, this.#end),
          this.#credits,
        );
      } catch (e) {
        if (!(e instanceof WsProtocolError)) throw e;
        this.#start += inbound.consumed;
        this.#failProtocol(e);
        return;
      }
      this.#start += inbound.consumed;
      if (ev === null) break;
      this.#forward(ev);
      if (this.#phase !== "open") return;
    }
    this.#setReading(
      !this.#peerClosed && !this.#clientEof &&
        this.#end - this.#start < this.#pool.bufferSize,
    );
  }

  #forward(ev: WsInboundEvent): void {
    switch (ev.kind) {
      case "data":
        this.#credits -= ev.body.length;
        this.#send({
          type: "data",
          contentType: ev.contentType,
          ...(ev.body.length > 0 ? { body: ev.body } : {}),
          ...(ev.more ? { more: true } : {}),
        });
        return;
      case "ping":
      case "pong":
        this.#credits -= ev.body.length;
        this.#send({
          type: ev.kind,
          ...(ev.body.length > 0 ? { body: ev.body } : {}),
        });
        return;
      case "close": {
        const size = ev.code === undefined ? 0 : 2 + ev.reason.length;
        this.#credits = Math.max(0, this.#credits - size);
        this.#send(
          ev.code === undefined
            ? { type: "close" }
            : { type: "close", code: ev.code, body: ev.reason },
        );
        this.#peerClosed = true;
        this.#setReading(false);
        if (this.#sentClose) this.#close(false, true);
        return;
      }
    }
  }

  #failProtocol(e: WsProtocolError): void {
    this.#host.logger.debug(`conn ${this.#id}: process error: ${e.message}`);
    if (!this.#sentClose) {
      this.#sentClose = true;
      const code = e.closeCode === CloseCode.Normal
        ? CloseCode.ProtocolError
        : e.closeCode;
      this.#write(this.#outbound!.closeFrame(code, EMPTY), 0, 0);
    }
    this.#close(true, true);
  }

  // ---- helpers ----

  #write(data: Uint8Array, bodyBytes: number, flags: number): void {
    this.#pendingWrites++;
    this.#writeFlags.push(flags);
    this.#io.write(data, bodyBytes);
  }

  #flushCredits(): void {
    const n = this.#creditsOwed;
    if (n === 0 || this.#phase === "closed") return;
    this.#creditsOwed = 0;
    this.#send({ type: "credit", credits: n });
  }

  #proceedHandoff(): void {
    this.#phase = "handoff-wait";
    this.#send({ type: "handoff-proceed" });
  }

  #send(
    packet:
      | {
        type: "data";
        body?: Uint8Array;
        more?: boolean;
        contentType: "text" | "binary";
      }
      | { type: "credit"; credits: number }
      | { type: "ping" | "pong"; body?: Uint8Array }
      | { type: "close"; code?: number; body?: Uint8Array }
      | { type: "cancel" | "handoff-proceed" },
  ): void {
    const addr = this.#addr;
    if (addr === null) return;
    // owed credits go first, so that packets keep their order (e.g. before handoff-proceed)
    if (packet.type !== "credit" && this.#creditsOwed > 0) this.#flushCredits();
    const payload = encodePacket({
      from: this.#host.instanceId,
      ids: [{ id: this.#idBytes, seq: this.#outSeq++ }],
      ...packet,
    });
    this.#host.sendTo(addr, payload);
  }

  #badMessage(detail: string): void {
    this.#host.logger.debug(
      `conn ${this.#id}: process error: BadMessage (${detail})`,
    );
    this.#close(false, false);
  }

  #setReading(on: boolean): void {
    if (on === this.#reading) return;
    this.#reading = on;
    this.#io.setReading(on);
  }

  #touchStream(): void {
    this.#streamDeadline = this.#host.now() + this.#host.streamTimeoutMs;
  }

  #close(cancel: boolean, graceful: boolean): void {
    if (this.#phase === "closed") return;
    if (cancel) this.#send({ type: "cancel" });
    this.#host.unregister(this.#id);
    this.#phase = "closed";
    this.#reading = false;
    this.#inbound?.close();
    this.#outbound?.close();
    this.#io.close(graceful);
  }
}
