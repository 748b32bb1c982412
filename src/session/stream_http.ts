/**
 * The stream-mode HTTP/1 connection state machine (reference §6): one client connection,
 * one ZHTTP session per request, requests handled strictly one after another.
 *
 * No I/O happens here: bytes arrive through {@linkcode StreamHttpConnection.onRead}, packets
 * through {@linkcode StreamHttpConnection.onPacket}, and everything goes out through the
 * {@linkcode ClientIo} and {@linkcode SessionHost} seams. The handler side of each session is
 * a {@linkcode ZhttpPeer}, the response half a {@linkcode ResponseWriter}; an upgrade request
 * hands the connection to a WebSocket session ({@linkcode upgradeToWebSocket}).
 *
 * @module
 */

import {
  ChunkedDecoder,
  encodeErrorResponse,
  HttpError,
  parseRequestHead,
  type RequestHead,
  URI_SIZE_MAX,
} from "../http1/mod.ts";
import { encodePacket, type InboundPacket } from "../zhttp/mod.ts";
import type { ClientIo, PacketSink, PeerInfo, SessionHost } from "./host.ts";
import type { WebSocketConfig, WebSocketSession } from "./websocket.ts";
import { ReadPool } from "./read_pool.ts";
import { ReadBuffer } from "./read_buffer.ts";
import { ZhttpPeer } from "./zhttp_peer.ts";
import { ClientSide } from "./client_side.ts";
import { ResponseWriter } from "./response_writer.ts";
import { requestUri } from "./request_uri.ts";
import { upgradeToWebSocket } from "./ws_upgrade.ts";

export type { PeerInfo } from "./host.ts";

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

/** Where a connection is in its current request cycle. */
type Phase =
  | "head" // reading a request head
  | "wait" // request sent, waiting for the handler's first packet
  | "active" // handler known: body forwarding and/or response
  | "handoff-flush" // handoff-start received, flushing before handoff-proceed
  | "handoff-wait" // handoff-proceed sent, waiting for any packet
  | "upgraded" // a WebSocket session owns the connection
  | "closed";

/** Options of one connection. */
export interface StreamHttpOptions {
  /** The slot index of the connection in its worker (second id component). */
  slot: number;
  /** `http` or `https`; WebSocket upgrades use `ws`/`wss`. */
  secure: boolean;
  /** Where the client is. */
  peer: PeerInfo;
  /**
   * WebSocket settings (`--compression`, `--messages-max`); default: no compression,
   * 100 messages.
   */
  websocket?: WebSocketConfig;
  /**
   * Called when {@linkcode StreamHttpConnection.nextDeadline} moved sooner than it said before
   * (a stalled WebSocket client with more than `--messages-max` queued messages needs a check
   * on every tick). One function shared by all connections of a worker.
   */
  onWake?: (conn: StreamHttpConnection) => void;
  /**
   * The worker's read buffers (default: one shared by the isolate for `host.bufferSize`). The
   * connection reads into a small slot of its own while it has nothing buffered and no body to
   * read, and borrows a full buffer only while bytes wait in it.
   */
  readPool?: ReadPool;
}

/**
 * One client connection in stream mode.
 *
 * @example
 * ```ts ignore
 * const conn = new StreamHttpConnection(host, io, { slot: 0, secure: false, peer: {} });
 * conn.start();
 * ```
 */
export class StreamHttpConnection implements PacketSink {
  readonly #host: SessionHost;
  readonly #io: ClientIo;
  readonly #opts: StreamHttpOptions;
  /** The read buffer: the idle slot, or a pooled full buffer while bytes wait in it. */
  readonly #rb: ReadBuffer;
  readonly #peer: ZhttpPeer;
  readonly #client: ClientSide;
  readonly #response = new ResponseWriter();
  #released = false;
  #phase: Phase = "head";
  #resumePhase: Phase = "active";
  #clientEof = false;
  // request
  #head: RequestHead | null = null;
  #bodyPending = false; // request body not yet fully forwarded
  #bodyRemaining = 0;
  #chunked: ChunkedDecoder | null = null;
  #reqCredits = 0;
  #continueSent = false;
  #handlerRoom = 0; // response body bytes the handler may still send
  /** Set once an upgrade request was read: every call is handed to it. */
  #ws: WebSocketSession | null = null;

  /** Creates the connection; call {@linkcode start} to begin. */
  constructor(host: SessionHost, io: ClientIo, options: StreamHttpOptions) {
    this.#host = host;
    this.#io = io;
    this.#opts = options;
    const pool = options.readPool ?? ReadPool.shared(host.bufferSize);
    const slot = pool.takeSlot();
    this.#rb = new ReadBuffer(pool, { slot, buffer: slot, start: 0, end: 0 });
    this.#peer = new ZhttpPeer(host);
    this.#client = new ClientSide(host, io);
  }

  /** The slot index of the connection in its worker. */
  get slot(): number {
    return this.#opts.slot;
  }

  /** Current session id. */
  get id(): string {
    return this.#ws?.id ?? this.#peer.id;
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.#ws?.closed ?? this.#phase === "closed";
  }

  /** Starts the first request cycle. */
  start(): void {
    this.#beginCycle();
    this.#process();
  }

  /**
   * The free part of the read buffer, for the next read from the client. Only here do bytes
   * move and buffers change (no read is in flight during the call): with nothing buffered and
   * no body to read, the target is the connection's small slot (a full buffer goes back to the
   * pool); a full slot is moved into a pooled full buffer.
   */
  readTarget(): Uint8Array {
    if (this.#ws !== null) return this.#ws.readTarget();
    return this.#rb.target(!this.#bodyPending);
  }

  /**
   * The connection is closed and no read targets its buffers any more: they go back to the
   * pool (called once by the connection driver).
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#ws !== null) return this.#ws.release();
    this.#rb.release();
  }

  /** `n` bytes were read into {@linkcode readTarget}. */
  onRead(n: number): void {
    if (this.#ws !== null) return this.#ws.onRead(n);
    if (this.#phase === "closed") return;
    this.#rb.end += n;
    this.#client.touch();
    this.#process();
  }

  /** The client closed its sending side (or the connection). */
  onEof(): void {
    if (this.#ws !== null) return this.#ws.onEof();
    if (this.#phase === "closed") return;
    this.#clientEof = true;
    this.#client.setReading(false);
    switch (this.#phase) {
      case "head":
        // quiet close; a partial head is simply dropped
        this.#close(false, false);
        return;
      case "wait":
        // noticed once the handler speaks (reference §6.3)
        return;
      default:
        if (this.#response.done) return; // finishing: the cycle end closes
        this.#close(true, false);
    }
  }

  /** Writing to the client failed: the client is gone. */
  onWriteError(): void {
    if (this.#ws !== null) return this.#ws.onWriteError();
    if (this.#phase === "closed") return;
    this.#close(this.#phase !== "head" && this.#phase !== "wait", false);
  }

  /** A write carrying `bodyBytes` handler body bytes reached the client. */
  onWritten(bodyBytes: number): void {
    if (this.#ws !== null) return this.#ws.onWritten(bodyBytes);
    if (this.#phase === "closed") return;
    const pending = this.#client.written();
    if (bodyBytes > 0) {
      this.#client.touch();
      this.#handlerRoom += bodyBytes;
      if (!this.#response.done) {
        this.#peer.send({ type: "credit", credits: bodyBytes });
      }
    }
    if (pending === 0) this.#onWritesIdle();
  }

  /** Timer check; closes the connection on session or stream timeout. */
  onTick(now: number): void {
    if (this.#ws !== null) return this.#ws.onTick(now);
    if (this.#phase === "closed") return;
    if (now >= this.#peer.sessionDeadline) {
      this.#peer.processError("Timeout");
      this.#close(false, false);
    } else if (now >= this.#client.streamDeadline) {
      this.#peer.processError("Timeout");
      this.#close(true, false);
    }
  }

  /** The handler address keep-alives go to, if one is due now. */
  keepAliveAddress(now: number): Uint8Array | null {
    if (this.#ws !== null) return this.#ws.keepAliveAddress(now);
    if (this.#phase === "closed") return null;
    return this.#peer.keepAliveAddress(now, this.#inHandoff());
  }

  /**
   * When {@linkcode onTick} or {@linkcode keepAliveAddress} may next have work, in
   * {@linkcode SessionHost.now} milliseconds (`Infinity`: never). Deadlines only move later
   * between calls, except a keep-alive schedule that starts later, which is never sooner than
   * `now` + the keep-alive interval: so a timer set to this answer is never late, and a timer
   * that fires early asks again (lazy rescheduling). The one exception, a WebSocket whose
   * queue of handler messages passes `--messages-max`, calls `onWake` at once.
   */
  nextDeadline(now: number): number {
    if (this.#ws !== null) return this.#ws.nextDeadline(now);
    if (this.#phase === "closed") return Infinity;
    return Math.min(
      this.#peer.sessionDeadline,
      this.#client.streamDeadline,
      this.#peer.keepAliveDeadline(now, this.#inHandoff()),
    );
  }

  /** Consumes one outbound seq (for batched keep-alive / cancel packets). */
  takeSeq(): number {
    if (this.#ws !== null) return this.#ws.takeSeq();
    return this.#peer.takeSeq();
  }

  /** Whether a cancel should be sent for this session at shutdown; returns the address. */
  cancelAddress(): Uint8Array | null {
    if (this.#ws !== null) return this.#ws.cancelAddress();
    if (this.#phase === "closed") return null;
    return this.#peer.address;
  }

  /** Closes without sending anything (shutdown after batched cancels). */
  abort(): void {
    if (this.#ws !== null) return this.#ws.abort();
    if (this.#phase !== "closed") this.#close(false, false);
  }

  /** A packet for the current id. */
  onPacket(p: InboundPacket, seq: number | undefined): void {
    if (this.#ws !== null) return this.#ws.onPacket(p, seq);
    const phase = this.#phase;
    if (phase === "closed" || phase === "head") return;
    const bad = this.#peer.receive(p, seq, phase === "handoff-flush");
    if (bad !== null) return this.#badMessage(bad);
    if (phase === "handoff-wait") this.#phase = this.#resumePhase;
    if (this.#phase === "wait") this.#phase = "active";
    switch (p.type) {
      case "":
        this.#reqCredits += p.credits;
        this.#onResponseData(p);
        break;
      case "credit":
        this.#reqCredits += p.credits;
        break;
      case "keep-alive":
        break;
      case "cancel":
      case "error":
        this.#close(false, false);
        return;
      case "handoff-start":
        this.#resumePhase = this.#phase;
        this.#phase = "handoff-flush";
        this.#client.setReading(false);
        if (this.#client.pendingWrites === 0) this.#proceedHandoff();
        return;
      default:
        return this.#badMessage(`unexpected packet type: ${p.type}`);
    }
    if (this.#phase === "closed") return;
    if (this.#clientEof && !this.#response.done) {
      // the client left while the handler was busy: tell the handler (reference §6.11)
      this.#close(true, false);
      return;
    }
    if (
      this.#bodyPending && !this.#continueSent && this.#head?.expectContinue
    ) {
      this.#continueSent = true;
      this.#client.write(CONTINUE, 0);
    }
    this.#process();
  }

  // ---- request side ----

  #beginCycle(): void {
    // registered (and its bytes made) once a request is read: an idle connection costs neither
    const now = this.#host.now();
    this.#peer.reset(this.#host.nextId(this.#opts.slot), now);
    this.#client.streamDeadline = now + this.#host.streamTimeoutMs;
    this.#phase = "head";
    this.#head = null;
    this.#bodyPending = false;
    this.#bodyRemaining = 0;
    this.#chunked = null;
    this.#reqCredits = 0;
    this.#continueSent = false;
    this.#response.reset(null);
    this.#handlerRoom = this.#host.bufferSize;
  }

  #process(): void {
    if (this.#phase === "head") {
      this.#readHead();
      return;
    }
    if (this.#phase === "active" && this.#bodyPending) this.#forwardBody();
    if (this.#phase === "closed") return;
    // Read while there is room: body bytes wanted, or to notice a vanished client.
    const wantBody = this.#phase === "active" && this.#bodyPending &&
      this.#reqCredits > 0;
    const room = this.#rb.end - this.#rb.start < this.#rb.pool.bufferSize;
    this.#client.setReading(
      !this.#clientEof && !this.#inHandoff() &&
        (wantBody || (room && !this.#bodyPending)),
    );
  }

  #readHead(): void {
    const rb = this.#rb;
    let head: RequestHead | null;
    try {
      head = parseRequestHead(rb.unread(), { maxHeadSize: rb.pool.bufferSize });
    } catch (e) {
      if (e instanceof HttpError) {
        this.#peer.processError(e.message);
        this.#rejectRequest(e.status, e.message);
        return;
      }
      throw e;
    }
    if (head === null) {
      if (this.#clientEof) {
        this.#close(false, false);
        return;
      }
      this.#client.setReading(true);
      return;
    }
    rb.start += head.headSize;
    this.#client.touch();
    if (head.websocket) {
      this.#upgrade(head);
      return;
    }
    this.#head = head;
    this.#response.reset(head);
    this.#bodyPending = head.bodyKind !== "none";
    this.#bodyRemaining = head.bodyKind === "length" ? head.contentLength : 0;
    if (head.bodyKind === "chunked") this.#chunked = new ChunkedDecoder();
    const more = head.bodyKind === "chunked" ||
      (head.bodyKind === "length" && head.contentLength > 0);
    const uri = requestUri(head, this.#opts.secure ? "https" : "http");
    if (uri.length > URI_SIZE_MAX) {
      this.#rejectRequest(414, "Request URI too long.");
      return;
    }
    const id = this.#peer.id;
    if (this.#host.logger.debugEnabled) {
      this.#host.logger.debug(`conn ${id}: request: ${head.method} ${uri}`);
    }
    const peer = this.#opts.peer;
    this.#host.register(id, this);
    const payload = encodePacket({
      from: this.#host.instanceId,
      ids: this.#peer.requestIds(),
      type: "request",
      method: head.method,
      uri,
      headers: head.headers,
      credits: this.#host.bufferSize,
      ...(more ? { more: true } : {}),
      stream: true,
      ...(peer.address !== undefined
        ? { peerAddress: peer.address, peerPort: peer.port ?? 0 }
        : {}),
    });
    this.#phase = "wait";
    this.#host.sendPush(payload);
    this.#process();
  }

  /** Hands the connection to a {@linkcode WebSocketSession} (reference §7.1, §7.2). */
  #upgrade(head: RequestHead): void {
    const onWake = this.#opts.onWake;
    const ws = upgradeToWebSocket(this.#host, this.#io, {
      id: this.#peer.id,
      head,
      sink: this,
      secure: this.#opts.secure,
      peer: this.#opts.peer,
      config: this.#opts.websocket,
      readBuffer: this.#rb,
      sessionDeadline: this.#peer.sessionDeadline,
      ...(onWake !== undefined ? { onWake: () => onWake(this) } : {}),
    });
    if (ws instanceof HttpError) {
      this.#rejectRequest(ws.status, ws.message);
      return;
    }
    this.#phase = "upgraded";
    this.#ws = ws;
  }

  #forwardBody(): void {
    if (this.#peer.address === null) return;
    const rb = this.#rb;
    while (
      this.#bodyPending && this.#reqCredits > 0 && this.#phase === "active"
    ) {
      const max = Math.min(this.#reqCredits, this.#host.bufferSize);
      let chunk: Uint8Array;
      let done: boolean;
      if (this.#chunked === null) {
        const avail = Math.min(rb.end - rb.start, this.#bodyRemaining, max);
        if (avail === 0 && this.#bodyRemaining > 0) return;
        chunk = rb.buffer.subarray(rb.start, rb.start + avail);
        rb.start += avail;
        this.#bodyRemaining -= avail;
        done = this.#bodyRemaining === 0;
      } else {
        let r;
        try {
          r = this.#chunked.decode(rb.unread(), max);
        } catch (e) {
          if (e instanceof HttpError) {
            this.#peer.processError(e.message);
            this.#close(true, false);
            return;
          }
          throw e;
        }
        rb.start += r.consumed;
        chunk = r.data;
        done = r.done;
        if (chunk.length === 0 && !done) {
          if (this.#clientEof) this.#close(true, false);
          return;
        }
      }
      this.#reqCredits -= chunk.length;
      if (done) this.#bodyPending = false;
      this.#peer.send({
        type: "data",
        body: chunk,
        ...(done ? {} : { more: true }),
      });
    }
  }

  // ---- response side ----

  #onResponseData(p: InboundPacket): void {
    const response = this.#response;
    if (response.done) return; // data after the end of the response: ignored
    const body = p.body;
    if (body.length > this.#handlerRoom) {
      this.#peer.processError("received too much data from handler");
      this.#close(true, false);
      return;
    }
    this.#handlerRoom -= body.length;
    let out: Uint8Array | string;
    if (!response.started) {
      if (this.#bodyPending) {
        // early response: stop forwarding the request body; the connection cannot be reused
        this.#bodyPending = false;
        response.persistent = false;
      }
      out = response.start(p, this.#host.bufferSize);
      if (typeof out === "string") {
        this.#peer.processError(out);
        this.#close(true, false);
        return;
      }
    } else {
      out = response.body(body, !p.more);
    }
    this.#client.write(out, body.length);
    if (this.#client.pendingWrites === 0) this.#onWritesIdle();
  }

  #onWritesIdle(): void {
    if (this.#phase === "handoff-flush") {
      this.#proceedHandoff();
      return;
    }
    if (this.#response.done && this.#phase === "active") this.#endCycle();
  }

  #proceedHandoff(): void {
    this.#phase = "handoff-wait";
    this.#peer.send({ type: "handoff-proceed" });
  }

  #endCycle(): void {
    this.#host.unregister(this.#peer.id);
    const rb = this.#rb;
    if (
      !this.#response.persistent || (this.#clientEof && rb.start === rb.end)
    ) {
      this.#close(false, true);
      return;
    }
    this.#beginCycle();
    this.#process();
  }

  // ---- helpers ----

  #inHandoff(): boolean {
    return this.#phase === "handoff-flush" || this.#phase === "handoff-wait";
  }

  #badMessage(detail: string): void {
    this.#peer.processError(`BadMessage (${detail})`);
    this.#close(false, false);
  }

  #rejectRequest(status: number, message: string): void {
    this.#host.unregister(this.#peer.id);
    this.#client.write(encodeErrorResponse(status, message), 0);
    this.#close(false, true);
  }

  #close(cancel: boolean, graceful: boolean): void {
    if (this.#phase === "closed") return;
    if (cancel) this.#peer.send({ type: "cancel" });
    this.#host.unregister(this.#peer.id);
    this.#phase = "closed";
    this.#client.close(graceful);
  }
}
