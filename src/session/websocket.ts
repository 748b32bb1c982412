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
 * `--messages-max` (messages from the handler not yet written to the client) is enforced by
 * {@linkcode WsWriteQueue}.
 *
 * @module
 */

import { encodePacket, type Header, type InboundPacket } from "../zhttp/mod.ts";
import { CloseCode, WsProtocolError } from "../websocket/mod.ts";
import type { ClientIo, PacketSink, SessionHost } from "./host.ts";
import {
  encodeAcceptHead,
  encodeWsHttpResponse,
  WS_ACCEPT_HEADERS_MAX,
  type WsUpgrade,
} from "./ws_handshake.ts";
import { WsInbound, type WsInboundEvent } from "./ws_inbound.ts";
import { WsOutbound } from "./ws_outbound.ts";
import { ReadPool } from "./read_pool.ts";
import { ReadBuffer } from "./read_buffer.ts";
import { type PeerPacket, ZhttpPeer } from "./zhttp_peer.ts";
import { ClientSide } from "./client_side.ts";
import { WsWriteQueue } from "./ws_write_queue.ts";

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
  readonly #rb: ReadBuffer;
  readonly #peer: ZhttpPeer;
  readonly #client: ClientSide;
  /** Whether the last read filled its target (more bytes are probably waiting). */
  #lastReadFull = false;
  #lastTarget = 0;
  readonly #versionMinor: 0 | 1;
  readonly #upgrade: WsUpgrade;
  #phase: Phase = "wait";
  #resumePhase: Phase = "wait";
  #clientEof = false;
  /** The client's close frame was received (and forwarded). */
  #peerClosed = false;
  /** Our close frame was queued. */
  #sentClose = false;
  /** Client → handler credits. */
  #credits = 0;
  /** Handler → client room and queued messages. */
  readonly #queue: WsWriteQueue;
  /** Credits earned by completed writes, sent together once the current job ends. */
  #creditsOwed = 0;
  #creditFlushScheduled = false;
  #inbound: WsInbound | null = null;
  #outbound: WsOutbound | null = null;

  /** Creates the session; call {@linkcode start} to send the request packet. */
  constructor(
    host: SessionHost,
    io: ClientIo,
    options: WebSocketSessionOptions,
  ) {
    this.#host = host;
    this.#rb = new ReadBuffer(
      options.readPool ?? ReadPool.shared(host.bufferSize),
      {
        slot: options.slot ?? null,
        buffer: options.buffer,
        start: options.start,
        end: options.end,
      },
    );
    this.#peer = new ZhttpPeer(host);
    this.#peer.reset(options.id, 0);
    this.#peer.sessionDeadline = options.sessionDeadline;
    this.#client = new ClientSide(host, io);
    this.#versionMinor = options.versionMinor;
    this.#upgrade = options.upgrade;
    this.#queue = new WsWriteQueue({
      bufferSize: host.bufferSize,
      messagesMax: options.messagesMax,
      ...(options.onWake !== undefined ? { onWake: options.onWake } : {}),
    });
    this.#client.touch();
  }

  /** The session id. */
  get id(): string {
    return this.#peer.id;
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.#phase === "closed";
  }

  /** Sends the request packet (reference §7.2) and waits for the handler. */
  start(request: WsRequest): void {
    const payload = encodePacket({
      from: this.#host.instanceId,
      ids: this.#peer.requestIds(),
      type: "request",
      method: request.method,
      uri: request.uri,
      headers: request.headers,
      credits: this.#host.bufferSize,
      ...(request.peerAddress !== undefined
        ? { peerAddress: request.peerAddress, peerPort: request.peerPort ?? 0 }
        : {}),
    });
    this.#host.sendPush(payload);
  }

  // ---- client side ----

  /** The free part of the read buffer, for the next read from the client. */
  readTarget(): Uint8Array {
    // drained and the client paused: an idle WebSocket holds only its slot
    const target = this.#rb.target(!this.#lastReadFull);
    this.#lastTarget = target.length;
    return target;
  }

  /** The connection is closed and no read targets its buffers: they go back to the pool. */
  release(): void {
    this.#rb.release();
  }

  /** `n` bytes were read into {@linkcode readTarget}. */
  onRead(n: number): void {
    if (this.#phase === "closed") return;
    this.#lastReadFull = n === this.#lastTarget;
    const rb = this.#rb;
    rb.end += n;
    this.#client.touch();
    if (
      this.#lastReadFull && rb.onSlot && this.#phase === "open" &&
      rb.pool.bufferSize > rb.buffer.length &&
      this.#inbound!.endsMidFrame(rb.unread())
    ) {
      // The idle slot filled in the middle of a frame: the next readTarget() moves the bytes to
      // a pooled buffer and the rest of the frame is read before anything is forwarded.
      this.#client.setReading(true);
      return;
    }
    this.#process();
  }

  /** The client closed its sending side (or the connection). */
  onEof(): void {
    if (this.#phase === "closed") return;
    this.#clientEof = true;
    this.#client.setReading(false);
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
    const pending = this.#client.written();
    this.#queue.written(bodyBytes);
    if (bodyBytes > 0) {
      this.#client.touch();
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
    if (pending === 0 && this.#phase === "handoff-flush") {
      this.#proceedHandoff();
    }
  }

  /** Timer check; closes the connection on session or stream timeout. */
  onTick(now: number): void {
    if (this.#phase === "closed") return;
    if (this.#queue.stalledOverLimit()) {
      this.#fail("too many messages queued");
    } else if (now >= this.#peer.sessionDeadline) {
      this.#peer.processError("Timeout");
      this.#close(false, false);
    } else if (now >= this.#client.streamDeadline) {
      this.#fail("Timeout");
    }
  }

  /** The handler address keep-alives go to, if one is due now. */
  keepAliveAddress(now: number): Uint8Array | null {
    if (this.#phase === "closed") return null;
    return this.#peer.keepAliveAddress(now, this.#inHandoff());
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
    if (this.#queue.overLimit) return now;
    return Math.min(
      this.#peer.sessionDeadline,
      this.#client.streamDeadline,
      this.#peer.keepAliveDeadline(now, this.#inHandoff()),
    );
  }

  /** Consumes one outbound seq (for batched keep-alive / cancel packets). */
  takeSeq(): number {
    return this.#peer.takeSeq();
  }

  /** The address a shutdown cancel goes to, if any. */
  cancelAddress(): Uint8Array | null {
    if (this.#phase === "closed") return null;
    return this.#peer.address;
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
    const bad = this.#peer.receive(p, seq, phase === "handoff-flush");
    if (bad !== null) return this.#badMessage(bad);
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
        this.#client.setReading(false);
        if (this.#client.pendingWrites === 0) this.#proceedHandoff();
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
      this.#fail((e as Error).message);
      return;
    }
    if (head.length > this.#host.bufferSize) {
      this.#fail("response head too large");
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
    this.#write(head, 0, false);
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
      this.#peer.processError((e as Error).message);
      this.#close(cancel, false);
      return;
    }
    this.#write(bytes, 0, false);
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
      this.#fail((e as Error).message);
      return;
    }
    this.#write(bytes, body.length, !p.more);
  }

  #onControl(p: InboundPacket, kind: "ping" | "pong"): void {
    this.#credits += p.credits;
    if (this.#sentClose) return;
    const body = p.body;
    if (body.length > 125) {
      this.#fail(`${kind} payload too large`);
      return;
    }
    if (!this.#takeRoom(body.length, true)) return;
    this.#write(this.#outbound!.control(kind, body), body.length, true);
  }

  /** Reserves handler bytes (and a message slot); on overrun fails the session with cancel. */
  #takeRoom(n: number, newMessage: boolean): boolean {
    const error = this.#queue.reserve(n, newMessage);
    if (error === null) return true;
    this.#fail(error);
    return false;
  }

  #onHandlerClose(p: InboundPacket): void {
    if (this.#sentClose) return;
    let frame: Uint8Array;
    try {
      frame = this.#outbound!.closeFrame(p.code, p.body);
    } catch (e) {
      this.#fail((e as Error).message);
      return;
    }
    this.#sentClose = true;
    this.#write(frame, 0, false);
    // both sides closed: end the TCP connection once the frame is out
    if (this.#peerClosed) this.#close(false, true);
  }

  // ---- relaying client frames ----

  #process(): void {
    if (this.#phase !== "open") return;
    const inbound = this.#inbound!;
    const rb = this.#rb;
    while (!this.#peerClosed) {
      let ev: WsInboundEvent | null;
      try {
        ev = inbound.next(rb.unread(), this.#credits);
      } catch (e) {
        if (!(e instanceof WsProtocolError)) throw e;
        rb.start += inbound.consumed;
        this.#failProtocol(e);
        return;
      }
      rb.start += inbound.consumed;
      if (ev === null) break;
      this.#forward(ev);
      if (this.#phase !== "open") return;
    }
    this.#client.setReading(
      !this.#peerClosed && !this.#clientEof &&
        rb.end - rb.start < rb.pool.bufferSize,
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
        this.#client.setReading(false);
        if (this.#sentClose) this.#close(false, true);
        return;
      }
    }
  }

  #failProtocol(e: WsProtocolError): void {
    this.#peer.processError(e.message);
    if (!this.#sentClose) {
      this.#sentClose = true;
      const code = e.closeCode === CloseCode.Normal
        ? CloseCode.ProtocolError
        : e.closeCode;
      this.#write(this.#outbound!.closeFrame(code, EMPTY), 0, false);
    }
    this.#close(true, true);
  }

  // ---- helpers ----

  #write(data: Uint8Array, bodyBytes: number, endsMessage: boolean): void {
    this.#queue.pushWrite(endsMessage);
    this.#client.write(data, bodyBytes);
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

  #send(packet: PeerPacket): void {
    if (this.#peer.address === null) return;
    // owed credits go first, so that packets keep their order (e.g. before handoff-proceed)
    if (packet.type !== "credit" && this.#creditsOwed > 0) this.#flushCredits();
    this.#peer.send(packet);
  }

  #inHandoff(): boolean {
    return this.#phase === "handoff-flush" || this.#phase === "handoff-wait";
  }

  #badMessage(detail: string): void {
    this.#peer.processError(`BadMessage (${detail})`);
    this.#close(false, false);
  }

  /** A session error: logged, the handler told (cancel), the connection closed at once. */
  #fail(detail: string): void {
    this.#peer.processError(detail);
    this.#close(true, false);
  }

  #close(cancel: boolean, graceful: boolean): void {
    if (this.#phase === "closed") return;
    if (cancel) this.#send({ type: "cancel" });
    this.#host.unregister(this.#peer.id);
    this.#phase = "closed";
    this.#inbound?.close();
    this.#outbound?.close();
    this.#client.close(graceful);
  }
}
