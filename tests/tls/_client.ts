/** TLS test clients: node:tls (certificate inspection) and openssl s_client (versions). */

import tls from "node:tls";

/** What a client saw of a completed handshake. */
export interface Seen {
  /** Subject CN of the server certificate. */
  cn: string;
  /** Negotiated ALPN protocol, or false. */
  alpn: string | false;
  /** "TLSv1.2" / "TLSv1.3". */
  protocol: string | null;
}

/** Connects with `servername` (SNI; "" = none), trusting `ca`; returns the open socket. */
export function connect(
  port: number,
  options: { servername: string; ca?: string; alpn?: string[] },
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ...(options.servername === "" ? {} : { servername: options.servername }),
      ...(options.ca === undefined
        ? { rejectUnauthorized: false }
        : { ca: options.ca }),
      ALPNProtocols: options.alpn ?? ["http/1.1"],
      checkServerIdentity: () => undefined,
    });
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", (e) => {
      socket.destroy();
      reject(e);
    });
  });
}

/** Handshakes, records what was seen, closes. */
export async function handshake(
  port: number,
  servername: string,
): Promise<Seen> {
  const socket = await connect(port, { servername });
  const cert = socket.getPeerCertificate();
  const seen: Seen = {
    cn: String(cert.subject?.CN ?? ""),
    alpn: socket.alpnProtocol ?? false,
    protocol: socket.getProtocol(),
  };
  await closeSocket(socket);
  return seen;
}

/** Destroys `socket` and waits for its close. */
export function closeSocket(socket: tls.TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) return resolve();
    socket.once("close", () => resolve());
    socket.destroy();
  });
}

/** Runs `openssl s_client` with `args`; returns its combined output and whether it shook hands. */
export async function sClient(
  port: number,
  args: string[],
): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(10_000),
  }).output();
  const dec = new TextDecoder();
  const output = dec.decode(out.stdout) + dec.decode(out.stderr);
  return { ok: /Cipher is (?!\(NONE\))/.test(output), output };
}

/**
 * A TLS client for end-to-end tests: everything received is kept as latin-1 text; waits
 * are predicates over it.
 */
export class TlsTextClient implements AsyncDisposable {
  readonly #socket: tls.TLSSocket;
  #text = "";
  #closed = false;
  #waiters = new Set<() => void>();

  private constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    socket.on("data", (d: Uint8Array) => {
      let s = "";
      for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]!);
      this.#text += s;
      this.#wake();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on("error", () => {});
  }

  /** Connects to 127.0.0.1:`port` with SNI `servername` ("" = none). */
  static async connect(
    port: number,
    servername: string,
  ): Promise<TlsTextClient> {
    return new TlsTextClient(await connect(port, { servername }));
  }

  /** Subject CN of the server certificate. */
  get cn(): string {
    return String(this.#socket.getPeerCertificate().subject?.CN ?? "");
  }

  /** Everything received so far. */
  get text(): string {
    return this.#text;
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends latin-1 `text`. */
  write(text: string): Promise<void> {
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (e) => e ? reject(e) : resolve());
    });
  }

  /** Waits until `done(text)` holds (or the connection closes); returns the text. */
  async until(
    done: (text: string) => boolean,
    timeoutMs = 5000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.#text)) {
      if (this.#closed) {
        throw new Error(
          `closed before expected data: ${JSON.stringify(this.#text)}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out; got ${JSON.stringify(this.#text)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, left);
        const waiters = this.#waiters;
        function wake() {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        }
        waiters.add(wake);
      });
    }
    return this.#text;
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await closeSocket(this.#socket);
  }
}
