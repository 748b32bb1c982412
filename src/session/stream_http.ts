/**
 * The stream-mode HTTP/1 connection state machine (reference §6): one client connection,
 * one ZHTTP session per request, requests handled strictly one after another.
 *
 * No I/O happens here: bytes arrive through {@linkcode StreamHttpConnection.onRead}, packets
 * through {@linkcode StreamHttpConnection.onPacket}, and everything goes out through the
 * {@linkcode ClientIo} and {@linkcode SessionHost} seams.
 *
 * @module
 */

import {
  chooseResponseBody,
  ChunkedDecoder,
  encodeChunk,
  encodeErrorResponse,
  encodeResponseHead,
  findHeader,
  HttpError,
  LAST_CHUNK,
  parseContentLength,
  parseRequestHead,
  type RequestHead,
  type ResponseBody,
  statusCodeHasNoBody,
  URI_SIZE_MAX,
} from "../http1/mod.ts";
import {
  encodePacket,
  FROM_MAX,
  type Header,
  type InboundPacket,
} from "../zhttp/mod.ts";
import type { ClientIo, PacketSink, SessionHost } from "./host.ts";
import { KEEP_ALIVE_INTERVAL_MS } from "./keep_alive.ts";
import {
  MESSAGES_MAX_DEFAULT,
  type WebSocketConfig,
  WebSocketSession,
} from "./websocket.ts";
import { validateUpgrade } from "./ws_handshake.ts";
import { ReadPool } from "./read_pool.ts";

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
const EMPTY = new Uint8Array(0);
const ENCODER = new TextEncoder();
const LATIN1 = new TextDecoder("latin1");
const UTF8_STRICT = new TextDecoder("utf-8", { fatal: true });

/** Where a connection is in its current request cycle. */
type Phase =
  | "head" // reading a request head
  | "wait" // request sent, waiting for the handler's first packet
  | "active" // handler known: body forwarding and/or response
  | "handoff-flush" // handoff-start received, flushing before handoff-proceed
  | "handoff-wait" // handoff-proceed sent, waiting for any packet
  | "upgraded" // a WebSocket session owns the connection
  | "closed";

/** Peer details put into request packets. */
export interface PeerInfo {
  /** Client IP (no brackets) for TCP listeners; absent for unix sockets. */
  address?: string;
  /** Client port, with `address`. */
  port?: number;
}

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

/** A response body kind with no state (shared, to allocate nothing per cycle). */
const NO_BODY: ResponseBody = { kind: "none" };

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
  readonly #pool: ReadPool;
  /** This connection's idle read target (a view into the pool's slab). */
  readonly #slot: Uint8Array;
  /** The read buffer: the slot, or a pooled full buffer while bytes wait in it. */
  #buf: Uint8Array;
  #released = false;
  #start = 0;
  #end = 0;
  #phase: Phase = "head";
  #resumePhase: Phase = "active";
  #id = "";
  #idBytes: Uint8Array = EMPTY;
  #outSeq = 0;
  #inSeq = 0;
  #addr: Uint8Array | null = null;
  #clientEof = false;
  #reading = false;
  // request
  #head: RequestHead | null = null;
  #bodyPending = false; // request body not yet fully forwarded
  #bodyRemaining = 0;
  #chunked: ChunkedDecoder | null = null;
  #reqCredits = 0;
  #continueSent = false;
  #persistent = false;
  // response
  #respStarted = false;
  #respBody: ResponseBody = NO_BODY;
  #respRemaining = 0;
  #respDiscard = false;
  #respDone = false;
  #handlerRoom = 0; // body bytes the handler may still send
  #pendingWrites = 0;
  // timers
  #sessionDeadline = 0;
  #streamDeadline = 0;
  #keepAliveDue = 0;
  /** Set once an upgrade request was read: every call is handed to it. */
  #ws: WebSocketSession | null = null;

  /** Creates the connection; call {@linkcode start} to begin. */
  constructor(host: SessionHost, io: ClientIo, options: StreamHttpOptions) {
    this.#host = host;
    this.#io = io;
    this.#opts = options;
    this.#pool = options.readPool ?? ReadPool.shared(host.bufferSize);
    this.#slot = this.#pool.takeSlot();
    this.#buf = this.#slot;
  }

  /** The slot index of the connection in its worker. */
  get slot(): number {
    return this.#opts.slot;
  }

  /** Current session id. */
  get id(): string {
    return this.#ws?.id ?? this.#id;
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
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      if (this.#buf !== this.#slot && !this.#bodyPending && !this.#released) {
        this.#pool.give(this.#buf);
        this.#buf = this.#slot;
      }
    } else if (this.#end === this.#buf.length) {
      if (this.#buf === this.#slot) {
        const full = this.#pool.take();
        full.set(this.#slot.subarray(this.#start, this.#end));
        this.#buf = full;
        this.#end -= this.#start;
        this.#start = 0;
      } else if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
    }
    // an idle connection's pending read targets the slot itself (no view per read)
    return this.#end === 0 ? this.#buf : this.#buf.subarray(this.#end);
  }

  /**
   * The connection is closed and no read targets its buffers any more: they go back to the
   * pool (called once by the connection driver).
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#ws !== null) return this.#ws.release();
    if (this.#buf !== this.#slot) this.#pool.give(this.#buf);
    this.#pool.giveSlot(this.#slot);
    this.#buf = EMPTY;
  }

  /** `n` bytes were read into {@linkcode readTarget}. */
  onRead(n: number): void {
    if (this.#ws !== null) return this.#ws.onRead(n);
    if (this.#phase === "closed") return;
    this.#end += n;
    this.#touchStream();
    this.#process();
  }

  /** The client closed its sending side (or the connection). */
  onEof(): void {
    if (this.#ws !== null) return this.#ws.onEof();
    if (this.#phase === "closed") return;
    this.#clientEof = true;
    this.#setReading(false);
    switch (this.#phase) {
      case "head":
        // quiet close; a partial head is simply dropped
        this.#close(false, false);
        return;
      case "wait":
        // noticed once the handler speaks (reference §6.3)
        return;
      default:
        if (this.#respDone) return; // finishing: the cycle end closes
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
    this.#pendingWrites--;
    if (bodyBytes > 0) {
      this.#touchStream();
      this.#handlerRoom += bodyBytes;
      if (!this.#respDone && this.#addr !== null) {
        this.#send({ type: "credit", credits: bodyBytes });
      }
    }
    if (this.#pendingWrites === 0) this.#onWritesIdle();
  }

  /** Timer check; closes the connection on session or stream timeout. */
  onTick(now: number): void {
    if (this.#ws !== null) return this.#ws.onTick(now);
    if (this.#phase === "closed") return;
    if (now >= this.#sessionDeadline) {
      this.#host.logger.debug(`conn ${this.#id}: process error: Timeout`);
      this.#close(false, false);
    } else if (now >= this.#streamDeadline) {
      this.#host.logger.debug(`conn ${this.#id}: process error: Timeout`);
      this.#close(true, false);
    }
  }

  /** The handler address keep-alives go to, if one is due now. */
  keepAliveAddress(now: number): Uint8Array | null {
    if (this.#ws !== null) return this.#ws.keepAliveAddress(now);
    if (
      this.#addr === null || this.#phase === "closed" || this.#phase === "head"
    ) return null;
    if (this.#phase === "handoff-flush" || this.#phase === "handoff-wait") {
      return null;
    }
    if (now < this.#keepAliveDue) return null;
    this.#keepAliveDue = now + KEEP_ALIVE_INTERVAL_MS;
    return this.#addr;
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
    const keepAlive = this.#addr !== null && this.#phase === "active"
      ? this.#keepAliveDue
      : now + KEEP_ALIVE_INTERVAL_MS;
    return Math.min(this.#sessionDeadline, this.#streamDeadline, keepAlive);
  }

  /** Consumes one outbound seq (for batched keep-alive / cancel packets). */
  takeSeq(): number {
    if (this.#ws !== null) return this.#ws.takeSeq();
    return this.#outSeq++;
  }

  /** Whether a cancel should be sent for this session at shutdown; returns the address. */
  cancelAddress(): Uint8Array | null {
    if (this.#ws !== null) return this.#ws.cancelAddress();
    if (this.#phase === "closed" || this.#phase === "head") return null;
    return this.#addr;
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
    this.#addr = p.from.slice();
    this.#sessionDeadline = this.#host.now() + this.#host.sessionTimeoutMs;
    if (phase === "handoff-wait") {
      this.#phase = this.#resumePhase;
    }
    if (this.#phase === "wait") {
      this.#phase = "active";
      this.#keepAliveDue = this.#host.now() + KEEP_ALIVE_INTERVAL_MS;
    }
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
        this.#close(false, false);
        return;
      case "error":
        this.#close(false, false);
        return;
      case "handoff-start":
        this.#resumePhase = this.#phase;
        this.#phase = "handoff-flush";
        this.#setReading(false);
        if (this.#pendingWrites === 0) this.#proceedHandoff();
        return;
      default:
        this.#badMessage(`unexpected packet type: ${p.type}`);
        return;
    }
    if (this.#phase === "closed") return;
    if (this.#clientEof && !this.#respDone) {
      // the client left while the handler was busy: tell the handler (reference §6.11)
      this.#close(true, false);
      return;
    }
    if (
      this.#bodyPending && !this.#continueSent && this.#head?.expectContinue
    ) {
      this.#continueSent = true;
      this.#write(CONTINUE, 0);
    }
    this.#process();
  }

  // ---- request side ----

  #beginCycle(): void {
    // registered (and its bytes made) once a request is read: an idle connection costs neither
    this.#id = this.#host.nextId(this.#opts.slot);
    this.#idBytes = EMPTY;
    this.#phase = "head";
    this.#outSeq = 0;
    this.#inSeq = 0;
    this.#addr = null;
    this.#head = null;
    this.#bodyPending = false;
    this.#bodyRemaining = 0;
    this.#chunked = null;
    this.#reqCredits = 0;
    this.#continueSent = false;
    this.#persistent = false;
    this.#respStarted = false;
    this.#respBody = NO_BODY;
    this.#respRemaining = 0;
    this.#respDiscard = false;
    this.#respDone = false;
    this.#handlerRoom = this.#host.bufferSize;
    const now = this.#host.now();
    this.#sessionDeadline = now + this.#host.sessionTimeoutMs;
    this.#streamDeadline = now + this.#host.streamTimeoutMs;
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
    const room = this.#end - this.#start < this.#pool.bufferSize;
    const paused = this.#phase === "handoff-flush" ||
      this.#phase === "handoff-wait";
    this.#setReading(
      !this.#clientEof && !paused && (wantBody || (room && !this.#bodyPending)),
    );
  }

  #readHead(): void {
    const data = this.#buf.subarray(this.#start, this.#end);
    let head: RequestHead | null;
    try {
      head = parseRequestHead(data, { maxHeadSize: this.#pool.bufferSize });
    } catch (e) {
      if (e instanceof HttpError) {
        this.#host.logger.debug(
          `conn ${this.#id}: process error: ${e.message}`,
        );
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
      this.#setReading(true);
      return;
    }
    this.#start += head.headSize;
    this.#touchStream();
    if (head.websocket) {
      this.#upgrade(head);
      return;
    }
    this.#head = head;
    this.#persistent = head.persistent;
    this.#bodyPending = head.bodyKind !== "none";
    this.#bodyRemaining = head.bodyKind === "length" ? head.contentLength : 0;
    if (head.bodyKind === "chunked") this.#chunked = new ChunkedDecoder();
    const more = head.bodyKind === "chunked" ||
      (head.bodyKind === "length" && head.contentLength > 0);
    const uri = this.#uri(head, this.#opts.secure ? "https" : "http");
    if (uri.length > URI_SIZE_MAX) {
      this.#rejectRequest(414, "Request URI too long.");
      return;
    }
    if (this.#host.logger.debugEnabled) {
      this.#host.logger.debug(
        `conn ${this.#id}: request: ${head.method} ${uri}`,
      );
    }
    const peer = this.#opts.peer;
    this.#idBytes = ENCODER.encode(this.#id);
    this.#host.register(this.#id, this);
    const payload = encodePacket({
      from: this.#host.instanceId,
      ids: [{ id: this.#idBytes, seq: 0 }],
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
    this.#outSeq = 1;
    this.#phase = "wait";
    this.#host.sendPush(payload);
    this.#process();
  }

  /** Hands the connection to a {@linkcode WebSocketSession} (reference §7.1, §7.2). */
  #upgrade(head: RequestHead): void {
    const config = this.#opts.websocket;
    let upgrade;
    try {
      upgrade = validateUpgrade(head, {
        compression: config?.compression ?? false,
      });
    } catch (e) {
      if (e instanceof HttpError) {
        this.#host.logger.debug(
          `conn ${this.#id}: process error: ${e.message}`,
        );
        this.#rejectRequest(e.status, e.message);
        return;
      }
      throw e;
    }
    const uri = this.#uri(head, this.#opts.secure ? "wss" : "ws");
    if (uri.length > URI_SIZE_MAX) {
      this.#rejectRequest(414, "Request URI too long.");
      return;
    }
    if (this.#host.logger.debugEnabled) {
      this.#host.logger.debug(
        `conn ${this.#id}: request: ${head.method} ${uri}`,
      );
    }
    this.#host.register(this.#id, this);
    const ws = new WebSocketSession(this.#host, this.#io, {
      id: this.#id,
      buffer: this.#buf,
      start: this.#start,
      end: this.#end,
      slot: this.#slot,
      readPool: this.#pool,
      versionMinor: head.versionMinor,
      upgrade,
      messagesMax: config?.messagesMax ?? MESSAGES_MAX_DEFAULT,
      sessionDeadline: this.#sessionDeadline,
      ...(this.#opts.onWake !== undefined
        ? { onWake: this.#wakeUpgraded.bind(this) }
        : {}),
    });
    this.#phase = "upgraded";
    this.#reading = false;
    this.#ws = ws;
    const peer = this.#opts.peer;
    ws.start({
      method: head.method,
      uri,
      headers: head.headers,
      ...(peer.address !== undefined
        ? { peerAddress: peer.address, peerPort: peer.port ?? 0 }
        : {}),
    });
    this.#io.setReading(false);
  }

  #wakeUpgraded(): void {
    this.#opts.onWake?.(this);
  }

  #uri(head: RequestHead, scheme: string): string {
    let host = "localhost";
    if (head.host !== undefined) {
      try {
        host = UTF8_STRICT.decode(head.host);
      } catch {
        host = "localhost";
      }
    }
    return `${scheme}://${host}${head.target}`;
  }

  #forwardBody(): void {
    const addr = this.#addr;
    if (addr === null) return;
    while (
      this.#bodyPending && this.#reqCredits > 0 && this.#phase === "active"
    ) {
      const max = Math.min(this.#reqCredits, this.#host.bufferSize);
      let chunk: Uint8Array;
      let done: boolean;
      if (this.#chunked === null) {
        const avail = Math.min(
          this.#end - this.#start,
          this.#bodyRemaining,
          max,
        );
        if (avail === 0 && this.#bodyRemaining > 0) return;
        chunk = this.#buf.subarray(this.#start, this.#start + avail);
        this.#start += avail;
        this.#bodyRemaining -= avail;
        done = this.#bodyRemaining === 0;
      } else {
        let r;
        try {
          r = this.#chunked.decode(
            this.#buf.subarray(this.#start, this.#end),
            max,
          );
        } catch (e) {
          if (e instanceof HttpError) {
            this.#host.logger.debug(
              `conn ${this.#id}: process error: ${e.message}`,
            );
            this.#close(true, false);
            return;
          }
          throw e;
        }
        this.#start += r.consumed;
        chunk = r.data;
        done = r.done;
        if (chunk.length === 0 && !done) {
          if (this.#clientEof) this.#close(true, false);
          return;
        }
      }
      this.#reqCredits -= chunk.length;
      if (done) this.#bodyPending = false;
      this.#send({
        type: "data",
        body: chunk,
        ...(done ? {} : { more: true }),
      });
    }
  }

  // ---- response side ----

  #onResponseData(p: InboundPacket): void {
    if (this.#respDone) return; // data after the end of the response: ignored
    const body = p.body;
    if (body.length > this.#handlerRoom) {
      this.#host.logger.debug(
        `conn ${this.#id}: process error: received too much data from handler`,
      );
      this.#close(true, false);
      return;
    }
    this.#handlerRoom -= body.length;
    if (!this.#respStarted) {
      this.#startResponse(p);
    } else {
      this.#writeBody(body, !p.more);
    }
  }

  #startResponse(p: InboundPacket): void {
    const head = this.#head!;
    this.#respStarted = true;
    if (this.#bodyPending) {
      // early response: stop forwarding the request body; the connection cannot be reused
      this.#bodyPending = false;
      this.#persistent = false;
    }
    const code = p.code ?? 0;
    const headers: readonly Header[] = p.headers ?? [];
    let contentLength: number | undefined;
    const cl = statusCodeHasNoBody(code)
      ? undefined
      : findHeader(headers, "content-length");
    if (cl !== undefined) {
      try {
        contentLength = parseContentLength(cl);
      } catch {
        this.#host.logger.debug(
          `conn ${this.#id}: process error: invalid content-length`,
        );
        this.#close(true, false);
        return;
      }
    }
    const body = chooseResponseBody({
      versionMinor: head.versionMinor,
      code,
      contentLength,
      more: p.more,
      bodyLength: p.body.length,
    });
    if (body.kind === "close") this.#persistent = false;
    this.#respBody = body;
    this.#respRemaining = body.kind === "length" ? body.length : 0;
    this.#respDiscard = body.kind === "none" || head.method === "HEAD";
    let headBytes: Uint8Array;
    try {
      headBytes = encodeResponseHead({
        versionMinor: head.versionMinor,
        code,
        reason: p.reason ?? "",
        headers,
        persistent: this.#persistent,
        body,
      });
    } catch (e) {
      // a header name or value that cannot be written (CR/LF, not a token): session error
      this.#host.logger.debug(
        `conn ${this.#id}: process error: ${(e as Error).message}`,
      );
      this.#close(true, false);
      return;
    }
    if (
      headBytes.length + (this.#respDiscard ? 0 : p.body.length) >
        this.#host.bufferSize
    ) {
      this.#host.logger.debug(
        `conn ${this.#id}: process error: response head too large`,
      );
      this.#close(true, false);
      return;
    }
    this.#writeBody(p.body, !p.more, headBytes);
  }

  #writeBody(
    body: Uint8Array,
    last: boolean,
    prefix: Uint8Array = EMPTY,
  ): void {
    const kind = this.#respBody.kind;
    let payload = body;
    if (kind === "length" && payload.length > this.#respRemaining) {
      payload = payload.subarray(0, this.#respRemaining); // never write past the declared length
    }
    if (kind === "length") this.#respRemaining -= payload.length;
    let out: Uint8Array;
    if (this.#respDiscard) {
      out = prefix;
    } else if (kind === "chunked") {
      const chunk = payload.length > 0 ? encodeChunk(payload) : EMPTY;
      const tail = last ? LAST_CHUNK : EMPTY;
      out = concat3(prefix, chunk, tail);
    } else {
      out = prefix.length === 0 ? payload : concat3(prefix, payload, EMPTY);
    }
    if (last) {
      this.#respDone = true;
      if (kind === "length" && this.#respRemaining > 0 && !this.#respDiscard) {
        this.#persistent = false; // the handler sent less than it announced
      }
    }
    this.#write(out, body.length);
    if (this.#pendingWrites === 0) this.#onWritesIdle();
  }

  #write(data: Uint8Array, bodyBytes: number): void {
    this.#pendingWrites++;
    this.#io.write(data, bodyBytes);
  }

  #onWritesIdle(): void {
    if (this.#phase === "handoff-flush") {
      this.#proceedHandoff();
      return;
    }
    if (this.#respDone && this.#phase === "active") this.#endCycle();
  }

  #proceedHandoff(): void {
    this.#phase = "handoff-wait";
    this.#send({ type: "handoff-proceed" });
  }

  #endCycle(): void {
    this.#host.unregister(this.#id);
    if (!this.#persistent || (this.#clientEof && this.#start === this.#end)) {
      this.#close(false, true);
      return;
    }
    this.#beginCycle();
    this.#process();
  }

  // ---- helpers ----

  #send(
    packet:
      | { type: "data"; body: Uint8Array; more?: boolean }
      | { type: "credit"; credits: number }
      | { type: "cancel" | "handoff-proceed" },
  ): void {
    const addr = this.#addr;
    if (addr === null) return;
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

  #rejectRequest(status: number, message: string): void {
    this.#host.unregister(this.#id);
    this.#write(encodeErrorResponse(status, message), 0);
    this.#close(false, true);
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
    this.#io.close(graceful);
  }
}

function concat3(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a, 0);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}

/** Latin-1 view of bytes, for log lines. */
export function latin1(bytes: Uint8Array): string {
  return LATIN1.decode(bytes);
}
