/**
 * A minimal HTTP/1.1 and WebSocket client over `Deno.TcpConn` for the soak and slowloris
 * benchmarks: just what the responses of bench/_conns_handler.ts need (Content-Length bodies,
 * unmasked server frames), with a deadline on every exchange.
 *
 * @module
 */

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

/** A failed exchange, with a short kind for the error table. */
export class ClientError extends Error {
  /** `timeout`, `closed`, `bad-response`, `connect`, … */
  readonly kind: string;
  /** Creates the error. */
  constructor(kind: string, message: string) {
    super(message);
    this.name = "ClientError";
    this.kind = kind;
  }
}

/** One response. */
export interface Response {
  status: number;
  /** Body bytes received (the body itself only when `keepBody`). */
  bodyLength: number;
  body: string;
  /** Whether the server keeps the connection open. */
  keepAlive: boolean;
}

/**
 * A client connection with a read buffer and a deadline per call.
 *
 * @example
 * ```ts ignore
 * const c = await Client.connect(8000);
 * const r = await c.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n", { timeoutMs: 5000 });
 * c.close();
 * ```
 */
export class Client {
  readonly #conn: Deno.TcpConn;
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  #closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number, timeoutMs = 5000): Promise<Client> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const conn = await Promise.race([
        Deno.connect({ hostname: "127.0.0.1", port }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ClientError("connect", "connect timed out")),
            timeoutMs,
          );
        }),
      ]);
      return new Client(conn);
    } catch (e) {
      if (e instanceof ClientError) throw e;
      throw new ClientError("connect", String(e));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }

  /** Writes `data` (string or bytes) fully. */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    let off = 0;
    try {
      while (off < bytes.length) {
        off += await this.#conn.write(bytes.subarray(off));
      }
    } catch (e) {
      throw new ClientError("closed", `write failed: ${e}`);
    }
  }

  /** Reads more bytes into the buffer; false at EOF. */
  async #fill(deadline: number): Promise<boolean> {
    if (this.#end === this.#buf.length) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
    }
    const left = deadline - performance.now();
    if (left <= 0) throw new ClientError("timeout", "no response in time");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), left);
    });
    try {
      const n = await Promise.race([
        this.#conn.read(this.#buf.subarray(this.#end)).catch(() => null),
        timeout,
      ]);
      if (n === "timeout") {
        this.close(); // abandons the read
        throw new ClientError("timeout", "no response in time");
      }
      if (n === null) return false;
      this.#end += n;
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `head` (+ `body`) and reads one response. With `readAtMost`, stops (and closes)
   * after that many body bytes: a client vanishing mid-response.
   */
  async request(
    head: string,
    options: {
      body?: Uint8Array;
      timeoutMs: number;
      keepBody?: boolean;
      readAtMost?: number;
    },
  ): Promise<Response> {
    const deadline = performance.now() + options.timeoutMs;
    await this.write(head);
    if (options.body !== undefined) await this.write(options.body);
    // head
    let headEnd = -1;
    for (;;) {
      const text = dec.decode(this.#buf.subarray(this.#start, this.#end));
      headEnd = text.indexOf("\r\n\r\n");
      if (headEnd >= 0) break;
      if (!(await this.#fill(deadline))) {
        throw new ClientError("closed", "connection closed before a response");
      }
    }
    const headText = dec.decode(
      this.#buf.subarray(this.#start, this.#start + headEnd),
    );
    this.#start += headEnd + 4;
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(headText);
    if (m === null) {
      throw new ClientError("bad-response", headText.slice(0, 80));
    }
    const status = Number(m[1]);
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(headText);
    const keepAlive = !/\r\nconnection:\s*close/i.test(headText);
    const length = cl === null ? 0 : Number(cl[1]);
    const limit = options.readAtMost ?? Infinity;
    let got = 0;
    let body = "";
    while (got < length && got < limit) {
      if (this.#start === this.#end && !(await this.#fill(deadline))) {
        throw new ClientError(
          "closed",
          `connection closed after ${got} of ${length} body bytes`,
        );
      }
      const n = Math.min(this.#end - this.#start, length - got);
      if (options.keepBody) {
        body += dec.decode(this.#buf.subarray(this.#start, this.#start + n));
      }
      this.#start += n;
      got += n;
    }
    if (got < length) this.close();
    return { status, bodyLength: got, body, keepAlive };
  }

  /** Sends a WebSocket upgrade and reads the 101 head. */
  async upgrade(timeoutMs: number): Promise<void> {
    const r = await this.request(
      "GET /ws HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      { timeoutMs },
    );
    if (r.status !== 101) {
      throw new ClientError("bad-response", `upgrade answered ${r.status}`);
    }
  }

  /** Sends one masked text message and returns the payload of the next frame. */
  async echo(text: string, timeoutMs: number): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    const payload = enc.encode(text);
    if (payload.length > 125) throw new RangeError("short messages only");
    const frame = new Uint8Array(6 + payload.length);
    frame[0] = 0x81;
    frame[1] = 0x80 | payload.length;
    frame.set([1, 2, 3, 4], 2);
    for (let i = 0; i < payload.length; i++) {
      frame[6 + i] = payload[i]! ^ [1, 2, 3, 4][i & 3]!;
    }
    await this.write(frame);
    while (this.#end - this.#start < 2) {
      if (!(await this.#fill(deadline))) {
        throw new ClientError("closed", "closed before the echo");
      }
    }
    const len = this.#buf[this.#start + 1]! & 0x7f;
    while (this.#end - this.#start < 2 + len) {
      if (!(await this.#fill(deadline))) {
        throw new ClientError("closed", "closed inside the echo");
      }
    }
    const out = dec.decode(
      this.#buf.subarray(this.#start + 2, this.#start + 2 + len),
    );
    this.#start += 2 + len;
    return out;
  }
}
