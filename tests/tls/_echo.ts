/** A TLS echo server over `listenTls()` for the listener tests. */

import assert from "node:assert/strict";
import {
  listenTls,
  type TlsByteStream,
  type TlsListener,
  type TlsListenOptions,
} from "../../src/tls/mod.ts";
import { makeIdentitiesDir } from "./_certs.ts";
import { closeSocket, connect, handshake } from "./_client.ts";

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

/**
 * Throws hostile handshakes at `server` (started with `handshakeTimeoutMs: 300`): garbage
 * instead of a ClientHello, a silent client, a partial ClientHello then a reset, a
 * ClientHello trickled past the deadline. Each must be closed (the silent one after the
 * deadline, not before), while a connection made before them keeps working and a new one
 * (SNI `servername`) still gets the certificate with CN `cn`.
 */
export async function assertHostileHandshakesDropped(
  server: EchoServer,
  servername: string,
  cn: string,
): Promise<void> {
  const port = server.port;
  const good = await connect(port, { servername });
  const garbage = await Deno.connect({ hostname: "127.0.0.1", port });
  await garbage.write(
    new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
  );
  assert.equal(await readToEnd(garbage), "closed");
  garbage.close();
  // A client that never sends anything.
  const silent = await Deno.connect({ hostname: "127.0.0.1", port });
  const started = performance.now();
  assert.equal(await readToEnd(silent), "closed");
  const waited = performance.now() - started;
  assert.ok(waited >= 250 && waited < 3000, `closed after ${waited} ms`);
  silent.close();
  // A partial ClientHello, then the client goes away mid-handshake.
  const partial = await Deno.connect({ hostname: "127.0.0.1", port });
  await partial.write(
    new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]),
  );
  partial.close();
  // A ClientHello trickled byte by byte past the deadline is cut off too.
  const slow = await Deno.connect({ hostname: "127.0.0.1", port });
  const trickle = setInterval(() => {
    slow.write(new Uint8Array([0x16])).catch(() => {});
  }, 50);
  try {
    assert.equal(await readToEnd(slow), "closed");
  } finally {
    clearInterval(trickle);
    slow.close();
  }
  // The established connection and new ones still work.
  assert.equal(await roundTrip(good, "still here"), "still here");
  await closeSocket(good);
  assert.equal((await handshake(port, servername)).cn, cn);
  assert.ok(
    server.errors.some((e) => e.includes("timed out")),
    server.errors.join("\n"),
  );
}
