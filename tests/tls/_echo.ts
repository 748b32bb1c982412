/** A TLS echo server over `listenTls()` for the listener tests. */

import assert from "node:assert/strict";
import {
  listenTls,
  type TlsByteStream,
  type TlsListener,
  type TlsListenOptions,
} from "../../src/tls/mod.ts";
import { makeIdentitiesDir } from "./_certs.ts";

/** A listener whose accepted streams echo until EOF, in a fresh identities dir. */
export class EchoServer implements AsyncDisposable {
  readonly dir: string;
  readonly listener: TlsListener;
  readonly errors: string[] = [];
  readonly accepted: TlsByteStream[] = [];
  readonly #loops: Promise<void>[] = [];
  readonly #acceptLoop: Promise<void>;

  private constructor(dir: string, listener: TlsListener, errors: string[]) {
    this.dir = dir;
    this.listener = listener;
    this.errors = errors;
    this.#acceptLoop = this.#run();
  }

  static async start(
    options: Partial<TlsListenOptions> & {
      defaultCert?: string;
      port?: number;
      /** Fills the identities dir (default: {@linkcode makeIdentitiesDir}'s three pairs). */
      fill?: (dir: string) => Promise<void>;
    } = {},
  ): Promise<EchoServer> {
    const { fill, ...others } = options;
    let dir: string;
    if (fill === undefined) {
      dir = await makeIdentitiesDir();
    } else {
      dir = await Deno.makeTempDir({ prefix: "condure_tls_" });
      await fill(dir);
    }
    const errors: string[] = [];
    const { defaultCert, port, ...rest } = others;
    const listener = await listenTls({
      address: { kind: "tcp", hostname: "127.0.0.1", port: port ?? 0 },
      mode: "stream",
      tls: true,
      ...(defaultCert === undefined ? {} : { defaultCert }),
    }, { identitiesDir: dir, onError: (m) => errors.push(m), ...rest });
    return new EchoServer(dir, listener, errors);
  }

  get port(): number {
    return this.listener.addr.port;
  }

  async #run(): Promise<void> {
    while (true) {
      let stream: TlsByteStream;
      try {
        stream = await this.listener.accept();
      } catch (e) {
        assert.ok(e instanceof Deno.errors.BadResource);
        return;
      }
      this.accepted.push(stream);
      this.#loops.push(echo(stream));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.listener.close();
    await this.#acceptLoop;
    for (const s of this.accepted) s.close();
    await Promise.all(this.#loops);
    await Deno.remove(this.dir, { recursive: true });
    // Let the node handles finish closing.
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function echo(stream: TlsByteStream): Promise<void> {
  const buf = new Uint8Array(16 * 1024);
  try {
    while (true) {
      const n = await stream.read(buf);
      if (n === null) break;
      let off = 0;
      while (off < n) off += await stream.write(buf.subarray(off, n));
    }
  } catch {
    // reset
  }
  stream.close();
}

export async function readToEnd(conn: Deno.Conn): Promise<"closed"> {
  const buf = new Uint8Array(1024);
  try {
    while ((await conn.read(buf)) !== null) {
      // alert bytes, if any
    }
  } catch {
    // reset
  }
  return "closed";
}

export function roundTrip(
  socket: import("node:tls").TLSSocket,
  text: string,
): Promise<string> {
  return new Promise((resolve) => {
    socket.once(
      "data",
      (d: Uint8Array) => resolve(new TextDecoder().decode(d)),
    );
    socket.write(text);
  });
}
