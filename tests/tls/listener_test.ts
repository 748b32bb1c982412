import assert from "node:assert/strict";
import { listenTls } from "../../src/tls/mod.ts";
import {
  bumpMtime,
  makeChainIdentity,
  makeIdentitiesDir,
  makeIdentity,
} from "./_certs.ts";
import { closeSocket, connect, handshake, sClient } from "./_client.ts";
import { assertHostileHandshakesDropped, EchoServer } from "./_echo.ts";

Deno.test("listenTls() picks the certificate by SNI: exact, wildcard, default", async () => {
  await using server = await EchoServer.start({ defaultCert: "default" });
  assert.equal(
    (await handshake(server.port, "a.example.com")).cn,
    "a.example.com",
  );
  assert.equal(
    (await handshake(server.port, "A.EXAMPLE.COM")).cn,
    "a.example.com",
  );
  assert.equal(
    (await handshake(server.port, "www.example.com")).cn,
    "*.example.com",
  );
  assert.equal((await handshake(server.port, "other.test")).cn, "default.test");
  assert.equal((await handshake(server.port, "")).cn, "default.test");
  assert.equal(
    (await handshake(server.port, "x.www.example.com")).cn,
    "default.test",
  );
});

Deno.test("listenTls() sends the PEM chain, verifiable by a client trusting only the CA", async () => {
  await using server = await EchoServer.start();
  const ca = await makeChainIdentity(server.dir, "chain.test", "chain.test");
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: server.port,
    caCerts: [ca],
    alpnProtocols: ["http/1.1"],
    // SNI other than the dial address: Deno's internal server-name option.
    ...{ [Symbol.for("unstableServerName")]: "chain.test" },
  });
  try {
    const info = await conn.handshake();
    assert.equal(info.alpnProtocol, "http/1.1");
    await conn.write(new TextEncoder().encode("ping"));
    const buf = new Uint8Array(8);
    const n = await conn.read(buf);
    assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "ping");
  } finally {
    conn.close();
  }
  const r = await sClient(server.port, [
    "-servername",
    "chain.test",
    "-showcerts",
  ]);
  assert.equal(r.output.match(/BEGIN CERTIFICATE/g)?.length, 2, r.output);
});

Deno.test("listenTls() fails the handshake with an alert when no identity matches, and keeps serving", async () => {
  await using server = await EchoServer.start();
  await assert.rejects(handshake(server.port, "nobody.test"));
  await assert.rejects(handshake(server.port, ""));
  const r = await sClient(server.port, ["-servername", "nobody.test"]);
  assert.equal(r.ok, false);
  assert.match(r.output, /alert/);
  assert.ok(
    server.errors.some((e) =>
      e.includes('no identity for server name "nobody.test"')
    ),
  );
  assert.equal(
    (await handshake(server.port, "a.example.com")).cn,
    "a.example.com",
  );
});

Deno.test("listenTls() serves rotated certificate files to new connections", async () => {
  await using server = await EchoServer.start({ defaultCert: "default" });
  assert.equal(
    (await handshake(server.port, "a.example.com")).cn,
    "a.example.com",
  );
  await makeIdentity(server.dir, "a.example.com", "rotated.example.com");
  await bumpMtime(server.dir, "a.example.com", 5);
  // The identity cache trusts a lookup for up to a second.
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(
    (await handshake(server.port, "a.example.com")).cn,
    "rotated.example.com",
  );
  // A pair added later is found too, and a removed one no longer served.
  await makeIdentity(server.dir, "b.test", "b.test");
  await Deno.remove(`${server.dir}/_.example.com.crt`);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await handshake(server.port, "b.test")).cn, "b.test");
  assert.equal(
    (await handshake(server.port, "www.example.com")).cn,
    "default.test",
  );
});

Deno.test("listenTls() accepts TLS 1.2 and 1.3 only, with strong ciphers", async () => {
  await using server = await EchoServer.start();
  const sni = ["-servername", "a.example.com"];
  const v13 = await sClient(server.port, [...sni, "-tls1_3"]);
  assert.ok(v13.ok, v13.output);
  assert.match(v13.output, /TLSv1\.3/);
  const v12 = await sClient(server.port, [...sni, "-tls1_2"]);
  assert.ok(v12.ok, v12.output);
  assert.match(v12.output, /TLSv1\.2, Cipher is ECDHE-/);
  for (
    const args of [
      ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
      ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"],
      ["-tls1_2", "-cipher", "AES128-SHA"],
      ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"],
    ]
  ) {
    const r = await sClient(server.port, [...sni, ...args]);
    assert.equal(r.ok, false, `${args.join(" ")}\n${r.output}`);
  }
  assert.equal(
    (await handshake(server.port, "a.example.com")).protocol,
    "TLSv1.3",
  );
});

Deno.test("listenTls() negotiates ALPN http/1.1", async () => {
  await using server = await EchoServer.start();
  const seen = await handshake(server.port, "a.example.com");
  assert.equal(seen.alpn, "http/1.1");
  const r = await sClient(server.port, [
    "-servername",
    "a.example.com",
    "-alpn",
    "http/1.1",
  ]);
  assert.match(r.output, /ALPN protocol: http\/1\.1/);
  const socket = await connect(server.port, { servername: "a.example.com" });
  await closeSocket(socket);
  assert.equal(
    server.accepted[server.accepted.length - 1]?.alpnProtocol,
    "http/1.1",
  );
  assert.equal(
    server.accepted[server.accepted.length - 1]?.serverName,
    "a.example.com",
  );
});

Deno.test("TlsStream carries data both ways, with backpressure on large transfers", async () => {
  await using server = await EchoServer.start();
  const socket = await connect(server.port, { servername: "a.example.com" });
  const size = 4 * 1024 * 1024;
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 7) & 0xff;
  const received: Uint8Array[] = [];
  let total = 0;
  const done = new Promise<void>((resolve) => {
    socket.on("data", (d: Uint8Array) => {
      received.push(d);
      total += d.length;
      if (total >= size) resolve();
    });
  });
  socket.write(payload);
  await done;
  const all = new Uint8Array(total);
  let off = 0;
  for (const d of received) {
    all.set(d, off);
    off += d.length;
  }
  assert.equal(total, size);
  assert.deepEqual(all, payload);
  // Half-close: the server sees EOF, its echo loop closes with close_notify.
  const ended = new Promise<void>((resolve) =>
    socket.once("end", () => resolve())
  );
  socket.end();
  await ended;
  await closeSocket(socket);
  assert.equal(server.accepted[0]?.remoteAddr.transport, "tcp");
});

Deno.test("listenTls() drops garbage, silent and reset handshakes without harming others", async () => {
  await using server = await EchoServer.start({ handshakeTimeoutMs: 300 });
  await assertHostileHandshakesDropped(
    server,
    "a.example.com",
    "a.example.com",
  );
});

Deno.test("listenTls() with reusePort lets two listeners share a port", async () => {
  await using first = await EchoServer.start({ reusePort: true });
  await using second = await EchoServer.start({
    reusePort: true,
    port: first.port,
  });
  // Both hold the same certificate names (fresh, different keys): the CN is the same.
  for (let i = 0; i < 16; i++) {
    assert.equal(
      (await handshake(first.port, "a.example.com")).cn,
      "a.example.com",
    );
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(first.accepted.length > 0, "first listener accepted none");
  assert.ok(second.accepted.length > 0, "second listener accepted none");
  assert.equal(first.accepted.length + second.accepted.length, 16);
});

Deno.test("listenTls() rejects a busy port and a unix address", async () => {
  await using server = await EchoServer.start();
  // Worded as Condure (Rust's io::Error) words it, for both engines.
  for (const defaultCert of [undefined, "default"]) {
    await assert.rejects(
      listenTls({
        address: { kind: "tcp", hostname: "127.0.0.1", port: server.port },
        mode: "stream",
        tls: true,
        ...(defaultCert === undefined ? {} : { defaultCert }),
      }, { identitiesDir: server.dir }),
      /Address already in use \(os error 98\)/,
    );
  }
  await assert.rejects(
    listenTls({
      address: { kind: "unix", path: "/tmp/x" },
      mode: "stream",
      tls: true,
    }, {
      identitiesDir: server.dir,
    }),
    TypeError,
  );
});

Deno.test("TlsListener.accept() rejects with BadResource after close()", async () => {
  const dir = await makeIdentitiesDir();
  const listener = await listenTls({
    address: { kind: "tcp", hostname: "127.0.0.1", port: 0 },
    mode: "stream",
    tls: true,
  }, { identitiesDir: dir });
  const pending = listener.accept();
  listener.close();
  listener.close();
  await assert.rejects(pending, Deno.errors.BadResource);
  await assert.rejects(listener.accept(), Deno.errors.BadResource);
  await Deno.remove(dir, { recursive: true });
  await new Promise((r) => setTimeout(r, 20));
});
