/**
 * The req-mode HTTP/1 connection state machine (reference §9): one client connection, one
 * ZHTTP exchange per request. The head and the **whole** body are read first, then one
 * request packet goes to the handler over the DEALER socket, and the handler's first data
 * packet for that id is the complete response.
 *
 * Differences from Condure 1.9.1 (reference §19), on purpose:
 * - malformed heads get a 4xx response before the close, as in stream mode;
 * - a body larger than `--body-buffer-size` gets `413 Content Too Large` (Condure closes
 *   silently, at once or at `--req-timeout`); the rest of the body is read and dropped (at most
 *   {@linkcode DRAIN_BYTES_MAX} bytes) before the close so that the client can read the 413;
 * - chunked bodies are read whole, however they are split across reads;
 * - a handler `error` or `cancel` packet gets a prompt `502 Bad Gateway` and a close (Condure
 *   ignores both and the client waits for `--req-timeout`); so does a handler response whose
 *   head cannot be written (a header with CR/LF, a name that is not a token);
 * - HEAD responses carry no body (the `Content-Length` is still the handler body's length).
 *
 * No I/O happens here: bytes arrive through {@linkcode ReqHttpConnection.onRead}, packets
 * through {@linkcode ReqHttpConnection.onPacket}, and everything goes out through the
 * {@linkcode ClientIo} and {@linkcode ReqSessionHost} seams.
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
import { ClientSide } from "./client_side.ts";
import { requestUri } from "./request_uri.ts";
import { encodeWholeResponse } from "./response_writer.ts";

/**
 * Worker services a req-mode connection needs on top of {@linkcode SessionHost}.
 *
 * @example
 * ```ts
 * import type { ReqSessionHost } from "./req_http.ts";
 * const limits = (h: ReqSessionHost) => [h.reqTimeoutMs, h.bodyBufferSize];
 * ```
 */
export interface ReqSessionHost extends SessionHost {
  /** `--req-timeout` in milliseconds: the bound of one request cycle. */
  readonly reqTimeoutMs: number;
  /** `--body-buffer-size`: the largest request body accepted, in bytes. */
  readonly bodyBufferSize: number;
  /** Sends a request packet on the req-mode DEALER socket (frames `["", payload]`). */
  sendReq(payload: Uint8Array): void;
}

/**
 * Options of one req-mode connection.
 *
 * @example
 * ```ts
 * import type { ReqHttpOptions } from "./req_http.ts";
 * const o: ReqHttpOptions = { slot: 0, secure: false, peer: { address: "::1", port: 80 } };
 * ```
 */
export interface ReqHttpOptions {
  /** The slot index of the connection in its worker (second id component). */
  slot: number;
  /** `https` URIs (TLS listener) rather than `http`. */
  secure: boolean;
  /** Where the client is. */
  peer: PeerInfo;
}

/**
 * Most bytes of a refused request's body read and dropped after the error response, before
 * the connection is closed anyway.
 *
 * @example
 * ```ts
 * import { DRAIN_BYTES_MAX } from "./req_http.ts";
 * if (DRAIN_BYTES_MAX < 65536) throw new Error();
 * ```
 */
export const DRAIN_BYTES_MAX = 1 << 20;

/** Read-buffer room beyond `--buffer-size`, so a chunked body can follow a maximal head. */
const READ_SLACK = 1024;
/** Smallest body buffer allocated. */
const BODY_INITIAL = 4096;

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
const EMPTY = new Uint8Array(0);
const ENCODER = new TextEncoder();
const WS_BODY = "WebSockets not supported on req mode interface.\n";
/** Condure's exact answer to a WebSocket upgrade on a req listener, per HTTP minor version. */
const WS_REJECT = [0, 1].map((minor) =>
  ENCODER.encode(
    `HTTP/1.${minor} 400 Bad Request\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${WS_BODY.length}\r\n\r\n${WS_BODY}`,
  )
) as [Uint8Array, Uint8Array];

/** Where a connection is in its current request cycle. */
type Phase =
  | "head" // reading a request head
  | "body" // reading (or, once refused, draining) the request body
  | "wait" // request sent, waiting for the handler's data packet
  | "respond" // response written, waiting for it to flush
  | "closed";

/**
 * One client connection on a req-mode listener.
 *
 * Driven like `StreamHttpConnection`: {@linkcode readTarget}/{@linkcode onRead}/
 * {@linkcode onEof}/{@linkcode onWritten}/{@linkcode onWriteError} from the client connection,
 * {@linkcode onPacket} with the handler's packets for the current {@linkcode id} (the host
 * routes them by id), {@linkcode onTick} from the worker's timer.
 *
 * @example
 * ```ts
 * import { ReqHttpConnection, type ReqSessionHost } from "./req_http.ts";
 * import { Logger } from "../log.ts";
 * const sent: Uint8Array[] = [];
 * let out = "";
 * const host: ReqSessionHost = {
 *   instanceId: new Uint8Array(0), bufferSize: 8192, streamTimeoutMs: 0,
 *   sessionTimeoutMs: 0, reqTimeoutMs: 30_000, bodyBufferSize: 100_000,
 *   logger: new Logger("example"), nextId: (slot) => `0-${slot}-0`,
 *   register: () => {}, unregister: () => {}, sendPush: () => {}, sendTo: () => {},
 *   sendReq: (payload) => void sent.push(payload), now: () => 0,
 * };
 * const io = {
 *   write: (d: Uint8Array) => void (out += new TextDecoder().decode(d)),
 *   setReading: () => {},
 *   close: () => {},
 * };
 * const conn = new ReqHttpConnection(host, io, { slot: 0, secure: false, peer: {} });
 * conn.start();
 * const req = new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n");
 * conn.readTarget().set(req);
 * conn.onRead(req.length);
 * if (sent.length !== 1) throw new Error("no request packet");
 * conn.onPacket({
 *   from: new Uint8Array(0), ids: [], type: "", multi: false, code: 200, reason: "OK",
 *   body: new TextEncoder().encode("hi"), more: false, credits: 0, hasBody: true,
 * }, undefined);
 * if (!out.endsWith("Content-Length: 2\r\n\r\nhi")) throw new Error(out);
 * ```
 */
export class ReqHttpConnection implements PacketSink {
  readonly #host: ReqSessionHost;
  readonly #client: ClientSide;
  readonly #opts: ReqHttpOptions;
  // read buffer: [#start, #end) is unparsed input; [0, #floor) holds the live request head
  readonly #buf: Uint8Array;
  #start = 0;
  #end = 0;
  #floor = 0;
  #directRead = false; // the last readTarget() was the body buffer
  #readAt = 0; // where in #buf the last readTarget() began
  #phase: Phase = "head";
  #id = "";
  #idBytes: Uint8Array = EMPTY;
  #deadline = 0;
  #clientEof = false;
  // request
  #head: RequestHead | null = null;
  #uri = "";
  #persistent = false;
  #body: Uint8Array = EMPTY;
  #bodyLen = 0;
  #bodyRemaining = 0; // Content-Length bytes still to read
  #chunked: ChunkedDecoder | null = null;
  #continueSent = false;
  #draining = false; // the request was refused: its body is read and dropped
  #drained = 0;

  /** Creates the connection; call {@linkcode start} to begin. */
  constructor(host: ReqSessionHost, io: ClientIo, options: ReqHttpOptions) {
    this.#host = host;
    this.#client = new ClientSide(host, io);
    this.#opts = options;
    this.#buf = new Uint8Array(host.bufferSize + READ_SLACK);
  }

  /** The slot index of the connection in its worker. */
  get slot(): number {
    return this.#opts.slot;
  }

  /** Current session id (a new one for every request on the connection). */
  get id(): string {
    return this.#id;
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.#phase === "closed";
  }

  /** Starts the first request cycle. */
  start(): void {
    this.#beginCycle();
    this.#process();
  }

  /** Where the next read from the client should go (empty: do not read now). */
  readTarget(): Uint8Array {
    if (
      this.#phase === "body" && !this.#draining && this.#chunked === null
    ) {
      // a Content-Length body is read straight into the body buffer, never past its end
      this.#directRead = true;
      return this.#body.subarray(
        this.#bodyLen,
        this.#bodyLen + this.#bodyRemaining,
      );
    }
    this.#directRead = false;
    if (this.#end === this.#buf.length && this.#start > this.#floor) {
      this.#buf.copyWithin(this.#floor, this.#start, this.#end);
      this.#end -= this.#start - this.#floor;
      this.#start = this.#floor;
    }
    this.#readAt = this.#end;
    return this.#buf.subarray(this.#end);
  }

  /** `n` bytes were read into the last {@linkcode readTarget}. */
  onRead(n: number): void {
    if (this.#phase === "closed") return;
    if (this.#directRead) {
      this.#directRead = false;
      this.#bodyLen += n;
      this.#bodyRemaining -= n;
    } else {
      if (this.#readAt !== this.#end) {
        // While the read was in flight, a packet or a flushed write ended the cycle and the
        // next one compacted or consumed buffered bytes: #end only moves down meanwhile, and
        // the target region lay above it, so move what was read into place.
        this.#buf.copyWithin(this.#end, this.#readAt, this.#readAt + n);
      }
      this.#end += n;
    }
    this.#process();
  }

  /** The client closed its sending side (or the connection). */
  onEof(): void {
    if (this.#phase === "closed") return;
    this.#clientEof = true;
    this.#client.setReading(false);
    switch (this.#phase) {
      case "head":
        this.#process(); // a complete buffered head is still served; a partial one dropped
        return;
      case "body":
        // an incomplete request: nothing goes to the handler; a refusal already written flushes
        this.#close(this.#draining);
        return;
      default:
        // waiting or responding: the response is still written, then the connection closes
        return;
    }
  }

  /** Writing to the client failed: the client is gone. */
  onWriteError(): void {
    if (this.#phase !== "closed") this.#close(false);
  }

  /** A write to the client completed. */
  onWritten(_bodyBytes: number): void {
    if (this.#phase === "closed") return;
    if (this.#client.written() === 0 && this.#phase === "respond") {
      this.#endCycle();
    }
  }

  /** Timer check: past `--req-timeout` since the cycle began, closes without a response. */
  onTick(now: number): void {
    if (this.#phase === "closed" || now < this.#deadline) return;
    this.#host.logger.debug(`conn ${this.#id}: process error: Timeout`);
    this.#close(false);
  }

  /** When {@linkcode onTick} may next have work: the request deadline (`Infinity` once closed). */
  nextDeadline(_now: number): number {
    return this.#phase === "closed" ? Infinity : this.#deadline;
  }

  /** Req mode sends no keep-alives: always null. */
  keepAliveAddress(_now: number): Uint8Array | null {
    return null;
  }

  /** Req mode has no sequence numbers: always 0. */
  takeSeq(): number {
    return 0;
  }

  /** Req mode sends no cancels at shutdown: always null. */
  cancelAddress(): Uint8Array | null {
    return null;
  }

  /** Closes without writing anything (shutdown). */
  abort(): void {
    if (this.#phase !== "closed") this.#close(false);
  }

  /**
   * A packet for the current id. Only the first data packet while waiting counts; `error` and
   * `cancel` get a 502; everything else is ignored (`seq`, `from`, `more` and the handler's
   * `Content-Length` play no part in req mode).
   */
  onPacket(p: InboundPacket, _seq: number | undefined): void {
    if (this.#phase !== "wait") {
      if (this.#host.logger.debugEnabled && this.#phase !== "closed") {
        this.#host.logger.debug(
          `conn ${this.#id}: ignoring packet received before the request was sent`,
        );
      }
      return;
    }
    switch (p.type) {
      case "":
        this.#respond(p);
        return;
      case "error":
        this.#host.logger.debug(
          `conn ${this.#id}: handler error: ${p.condition ?? ""}`,
        );
        this.#fail("The handler failed to process the request.");
        return;
      case "cancel":
        this.#host.logger.debug(`conn ${this.#id}: handler cancelled`);
        this.#fail("The handler cancelled the request.");
        return;
      default:
        if (this.#host.logger.debugEnabled) {
          this.#host.logger.debug(
            `conn ${this.#id}: ignoring packet of type ${p.type}`,
          );
        }
    }
  }

  // ---- request side ----

  #beginCycle(): void {
    this.#id = this.#host.nextId(this.#opts.slot);
    this.#idBytes = ENCODER.encode(this.#id);
    this.#host.register(this.#id, this);
    this.#phase = "head";
    this.#deadline = this.#host.now() + this.#host.reqTimeoutMs;
    this.#head = null;
    this.#uri = "";
    this.#persistent = false;
    this.#bodyLen = 0;
    this.#bodyRemaining = 0;
    this.#chunked = null;
    this.#continueSent = false;
    this.#draining = false;
    this.#drained = 0;
  }

  #process(): void {
    if (this.#phase === "head") this.#readHead();
    if (this.#phase === "body") this.#readBody();
    if (this.#phase === "closed") return;
    let want: boolean;
    if (this.#clientEof) want = false;
    else if (this.#phase === "body") want = true; // readTarget() is never empty here
    else {
      // head, or waiting/responding: take pipelined bytes (and notice EOF) while there is room
      want = this.#end < this.#buf.length || this.#start > this.#floor;
    }
    this.#client.setReading(want);
  }

  #readHead(): void {
    if (this.#start > 0) {
      // keep the head at the front, so the body buffer region after it is as large as can be
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    let head: RequestHead | null;
    try {
      head = parseRequestHead(this.#buf.subarray(0, this.#end), {
        maxHeadSize: this.#host.bufferSize,
      });
    } catch (e) {
      if (e instanceof HttpError) {
        this.#host.logger.debug(
          `conn ${this.#id}: process error: ${e.message}`,
        );
        this.#refuse(encodeErrorResponse(e.status, e.message), false);
        return;
      }
      throw e;
    }
    if (head === null) {
      if (this.#clientEof) this.#close(false);
      return;
    }
    this.#start = this.#floor = head.headSize;
    this.#head = head;
    this.#persistent = head.persistent;
    if (head.bodyKind === "chunked") this.#chunked = new ChunkedDecoder();
    else if (head.bodyKind === "length") {
      this.#bodyRemaining = head.contentLength;
    }
    this.#phase = "body";
    if (head.websocket) {
      this.#refuse(WS_REJECT[head.versionMinor], true);
      return;
    }
    const uri = requestUri(head, this.#opts.secure ? "https" : "http");
    if (uri.length > URI_SIZE_MAX) {
      this.#refuse(encodeErrorResponse(414, "Request URI too long."), true);
      return;
    }
    const limit = this.#host.bodyBufferSize;
    if (head.bodyKind === "length" && head.contentLength > limit) {
      this.#refuse(
        encodeErrorResponse(
          413,
          `Request body exceeded limit of ${limit} bytes.`,
        ),
        true,
      );
      return;
    }
    this.#uri = uri;
    if (this.#host.logger.debugEnabled) {
      this.#host.logger.debug(
        `conn ${this.#id}: request: ${head.method} ${uri}`,
      );
    }
    if (head.bodyKind === "length") this.#reserveBody(head.contentLength);
    if (
      head.expectContinue &&
      (head.bodyKind === "chunked" || head.contentLength > 0)
    ) {
      this.#continueSent = true;
      this.#write(CONTINUE);
    }
  }

  #readBody(): void {
    if (this.#chunked !== null) {
      this.#readChunked(this.#chunked);
    } else {
      // Content-Length: bytes already buffered after the head come first
      const avail = this.#end - this.#start;
      const k = avail < this.#bodyRemaining ? avail : this.#bodyRemaining;
      if (k > 0) {
        if (!this.#draining) {
          this.#body.set(
            this.#buf.subarray(this.#start, this.#start + k),
            this.#bodyLen,
          );
          this.#bodyLen += k;
        } else {
          this.#drained += k;
        }
        this.#start += k;
        this.#bodyRemaining -= k;
      }
      if (this.#bodyRemaining === 0) this.#bodyDone();
      else if (this.#draining && this.#drained > DRAIN_BYTES_MAX) {
        this.#close(true);
      }
    }
    if (this.#phase === "body" && this.#start === this.#end) {
      this.#start = this.#end = this.#floor;
    }
  }

  #readChunked(decoder: ChunkedDecoder): void {
    const limit = this.#host.bodyBufferSize;
    while (this.#phase === "body") {
      let r;
      try {
        // one byte over the limit is enough to know the body is too large
        r = decoder.decode(
          this.#buf.subarray(this.#start, this.#end),
          this.#draining ? Infinity : limit - this.#bodyLen + 1,
        );
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        this.#host.logger.debug(
          `conn ${this.#id}: process error: ${e.message}`,
        );
        if (this.#draining) this.#close(true);
        else this.#refuse(encodeErrorResponse(e.status, e.message), false);
        return;
      }
      this.#start += r.consumed;
      const n = r.data.length;
      if (this.#draining) {
        this.#drained += n;
      } else if (this.#bodyLen + n > limit) {
        this.#refuse(
          encodeErrorResponse(
            413,
            `Request body exceeded limit of ${limit} bytes.`,
          ),
          true,
        );
        this.#drained += n;
      } else if (n > 0) {
        this.#reserveBody(this.#bodyLen + n);
        this.#body.set(r.data, this.#bodyLen);
        this.#bodyLen += n;
      }
      if (r.done) {
        this.#bodyDone();
        return;
      }
      if (this.#draining && this.#drained > DRAIN_BYTES_MAX) {
        this.#close(true);
        return;
      }
      if (r.consumed === 0) return; // needs more input
    }
  }

  /** The body is complete: send the request, or close after a refusal. */
  #bodyDone(): void {
    if (this.#draining) {
      this.#close(true);
      return;
    }
    const head = this.#head!;
    const peer = this.#opts.peer;
    const payload = encodePacket({
      from: EMPTY,
      ids: [{ id: this.#idBytes }],
      type: "request",
      method: head.method,
      uri: this.#uri,
      headers: head.headers,
      body: this.#body.subarray(0, this.#bodyLen),
      ...(peer.address !== undefined
        ? { peerAddress: peer.address, peerPort: peer.port ?? 0 }
        : {}),
    });
    // the head's views are no longer needed: the whole read buffer is free again
    this.#floor = 0;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    this.#phase = "wait";
    this.#host.sendReq(payload);
  }

  #reserveBody(size: number): void {
    if (size <= this.#body.length) return;
    let cap = Math.max(this.#body.length * 2, BODY_INITIAL, size);
    if (cap > this.#host.bodyBufferSize) {
      cap = Math.max(size, this.#host.bodyBufferSize);
    }
    const grown = new Uint8Array(cap);
    grown.set(this.#body.subarray(0, this.#bodyLen));
    this.#body = grown;
  }

  /**
   * Writes an error response for the current request and ends the connection: at once, or,
   * with `drain` and a body on its way, once that body has been read and dropped.
   */
  #refuse(response: Uint8Array, drain: boolean): void {
    this.#write(response);
    this.#persistent = false;
    const head = this.#head;
    // a client told to wait for 100 Continue and refused before it does not send the body
    const bodyComing = head !== null &&
      (!head.expectContinue || this.#continueSent) &&
      (head.bodyKind === "chunked" || this.#bodyRemaining > 0);
    if (drain && bodyComing && this.#phase === "body") {
      this.#draining = true;
      this.#floor = 0;
      return;
    }
    this.#close(true);
  }

  // ---- response side ----

  #respond(p: InboundPacket): void {
    // the request's own persistence: a refused request never gets this far
    const out = encodeWholeResponse(p, this.#head!);
    if (typeof out === "string") {
      this.#host.logger.debug(`conn ${this.#id}: process error: ${out}`);
      this.#fail("The handler sent a response that cannot be written.");
      return;
    }
    this.#phase = "respond";
    this.#write(out);
    if (this.#client.pendingWrites === 0) this.#endCycle();
  }

  /** Answers the waiting client with a 502 and closes (reference §19). */
  #fail(message: string): void {
    this.#write(encodeErrorResponse(502, message));
    this.#close(true);
  }

  #endCycle(): void {
    this.#host.unregister(this.#id);
    if (
      !this.#persistent || (this.#clientEof && this.#start === this.#end)
    ) {
      this.#close(true);
      return;
    }
    this.#beginCycle();
    this.#process();
  }

  // ---- helpers ----

  #write(data: Uint8Array): void {
    this.#client.write(data, 0);
  }

  #close(graceful: boolean): void {
    if (this.#phase === "closed") return;
    this.#host.unregister(this.#id);
    this.#phase = "closed";
    this.#client.close(graceful);
  }
}
