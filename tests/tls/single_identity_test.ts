/**
 * The single-identity engine (`Deno.listenTls`) of a TLS port: used while the identities
 * directory holds only the `default-cert` pair, left for the SNI engine when that changes.
 */

import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { noDelayOf, socketCallsAvailable } from "../../src/tls/mod.ts";
import { bumpMtime, makeIdentity } from "./_certs.ts";
import { closeSocket, connect, handshake, sClient } from "./_client.ts";
import {
  assertHostileHandshakesDropped,
  EchoServer,
  readToEnd,
  roundTrip,
} from "./_echo.ts";

const onlyDefault = (dir: string) =>
  makeIdentity(dir, "default", "default.test");

/** Waits until `cond()` holds (checked every 20 ms), failing after `ms`. */
async function until(
  cond: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("a port whose directory has only the default pair serves it to every client from Deno.listenTls", async () => {
  await using server = await EchoServer.start({
    defaultCert: "default",
    fill: onlyDefault,
  });
  assert.equal(server.listener.engine, "single-identity");
  for (const name of ["default", "other.test", "a.example.com", ""]) {
    const seen = await handshake(server.port, name);
    assert.equal(seen.cn, "default.test", name);
    assert.equal(seen.alpn, "http/1.1");
    assert.equal(seen.protocol, "TLSv1.3");
  }
  const socket = await connect(server.port, { servername: "x.test" });
  assert.equal(await roundTrip(socket, "hello"), "hello");
  await closeSocket(socket);
  await until(() => server.accepted.length === 5, 2000, "5 accepted");
  assert.ok(server.accepted.every((s) => s.alpnProtocol === "http/1.1"));
  assert.ok(server.accepted.every((s) => s.serverName === null));
});

Deno.test("the single-identity engine accepts TLS 1.2 and 1.3 only, with strong ciphers", async () => {
  await using server = await EchoServer.start({
    defaultCert: "default",
    fill: onlyDefault,
  });
  assert.equal(server.listener.engine, "single-identity");
  const v12 = await sClient(server.port, ["-tls1_2"]);
  assert.ok(v12.ok, v12.output);
  assert.match(v12.output, /TLSv1\.2, Cipher is ECDHE-/);
  // ALPN without http/1.1: the RFC 7301 alert (Condure 1.9.1 would ignore ALPN).
  const h2 = await sClient(server.port, ["-alpn", "h2"]);
  assert.match(h2.output, /alert no application protocol/);
  for (
    const args of [
      ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
      ["-tls1_2", "-cipher", "AES128-SHA"],
    ]
  ) {
    const r = await sClient(server.port, args);
    assert.equal(r.ok, false, `${args.join(" ")}\n${r.output}`);
  }
});

Deno.test("the single-identity engine carries large transfers both ways and sets TCP_NODELAY", async () => {
  await using server = await EchoServer.start({
    defaultCert: "default",
    fill: onlyDefault,
  });
  const socket = await connect(server.port, { servername: "" });
  if (socketCallsAvailable()) {
    assert.equal(
      noDelayOf(server.listener.addr, {
        transport: "tcp",
        hostname: "127.0.0.1",
        port: socket.localPort ?? 0,
      }),
      true,
    );
  }
  const size = 4 * 1024 * 1024;
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31) & 0xff;
  let got = 0;
  let mismatch = -1;
  const done = new Promise<void>((resolve) => {
    socket.on("data", (chunk: Uint8Array) => {
      for (let i = 0; i < chunk.length && mismatch < 0; i++) {
        if (chunk[i] !== data[got + i]) mismatch = got + i;
      }
      got += chunk.length;
      if (got >= size) resolve();
    });
  });
  socket.write(data);
  await done;
  assert.equal(mismatch, -1);
  assert.equal(got, size);
  await closeSocket(socket);
});

Deno.test("the single-identity engine drops garbage, silent, reset and trickling handshakes, closing their sockets", async () => {
  await using server = await EchoServer.start({
    defaultCert: "default",
    fill: onlyDefault,
    handshakeTimeoutMs: 300,
  });
  assert.equal(server.listener.engine, "single-identity");
  // The silent client's socket is closed too: Deno alone would keep it until it speaks.
  await assertHostileHandshakesDropped(server, "", "default.test");
});

for (const reusePort of [false, true]) {
  Deno.test(`a TLS port switches engines as identities come and go, and serves a rotated default pair (reusePort ${reusePort})`, async () => {
    await using server = await EchoServer.start({
      defaultCert: "default",
      fill: onlyDefault,
      recheckMs: 50,
      reusePort,
    });
    const port = server.port;
    assert.equal(server.listener.engine, "single-identity");
    // A lone certificate (no key) is no identity: nothing changes.
    await Deno.writeTextFile(
      `${server.dir}/ca.crt`,
      await Deno.readTextFile(`${server.dir}/default.crt`),
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(server.listener.engine, "single-identity");
    // A second identity needs SNI: the port moves to the SNI engine.
    await makeIdentity(server.dir, "a.example.com", "a.example.com");
    await until(() => server.listener.engine === "sni", 3000, "sni engine");
    assert.equal(server.port, port);
    assert.equal((await handshake(port, "a.example.com")).cn, "a.example.com");
    assert.equal((await handshake(port, "b.test")).cn, "default.test");
    // Gone again: back to the single identity.
    await Deno.remove(`${server.dir}/a.example.com.crt`);
    await Deno.remove(`${server.dir}/a.example.com.key`);
    await until(
      () => server.listener.engine === "single-identity",
      3000,
      "single-identity engine",
    );
    assert.equal((await handshake(port, "a.example.com")).cn, "default.test");
    // The default pair rotated on disk: new connections get the new certificate.
    await makeIdentity(server.dir, "default", "rotated.test");
    await bumpMtime(server.dir, "default", 5);
    // The port is never closed while it is rebound: no connection is refused meanwhile.
    // One that sits in the old socket's accept queue as it closes is reset (documented).
    await until(
      async () => {
        try {
          return (await handshake(port, "")).cn === "rotated.test";
        } catch (e) {
          if ((e as { code?: string }).code === "ECONNRESET") return false;
          throw e;
        }
      },
      3000,
      "rotated certificate",
    );
    assert.equal(server.listener.engine, "single-identity");
  });
}

Deno.test("a TLS port stays on the SNI engine without default-cert, when disabled, or with a broken default pair", async () => {
  {
    await using server = await EchoServer.start({ fill: onlyDefault });
    assert.equal(server.listener.engine, "sni");
    assert.equal((await handshake(server.port, "default")).cn, "default.test");
    const r = await sClient(server.port, ["-servername", "other.test"]);
    assert.equal(r.ok, false, r.output);
  }
  {
    await using server = await EchoServer.start({
      defaultCert: "default",
      fill: onlyDefault,
      singleIdentity: false,
    });
    assert.equal(server.listener.engine, "sni");
    assert.equal((await handshake(server.port, "x.test")).cn, "default.test");
  }
  {
    // A key that does not belong to the certificate: no identity, handshakes fail.
    await using server = await EchoServer.start({
      defaultCert: "default",
      fill: async (dir) => {
        await makeIdentity(dir, "default", "default.test");
        await makeIdentity(dir, "other", "other.test");
        await Deno.rename(`${dir}/other.key`, `${dir}/default.key`);
        await Deno.remove(`${dir}/other.crt`);
      },
    });
    assert.equal(server.listener.engine, "sni");
    const r = await sClient(server.port, []);
    assert.equal(r.ok, false, r.output);
  }
});

Deno.test("closing a single-identity port closes the sockets still handshaking", async () => {
  const server = await EchoServer.start({
    defaultCert: "default",
    fill: onlyDefault,
  });
  const silent = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.port,
  });
  await new Promise((r) => setTimeout(r, 50)); // accepted, handshaking
  const started = performance.now();
  await server[Symbol.asyncDispose]();
  assert.equal(await readToEnd(silent), "closed");
  assert.ok(performance.now() - started < 2000);
  silent.close();
});

Deno.test("a handshake begun before the port switches engines finishes on the old engine", async () => {
  await using server = await EchoServer.start({
    defaultCert: "default",
    fill: onlyDefault,
    recheckMs: 50,
  });
  const raw = net.connect(server.port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    raw.once("connect", () => resolve());
    raw.once("error", reject);
  });
  await new Promise((r) => setTimeout(r, 100)); // accepted: handshaking on Deno.listenTls
  await makeIdentity(server.dir, "a.example.com", "a.example.com");
  await until(() => server.listener.engine === "sni", 3000, "sni engine");
  const socket = tls.connect({
    socket: raw,
    servername: "a.example.com",
    rejectUnauthorized: false,
    ALPNProtocols: ["http/1.1"],
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", () => resolve());
      socket.once("error", reject);
      socket.once("close", () => reject(new Error("closed mid-handshake")));
      timer = setTimeout(() => reject(new Error("handshake stalled")), 5000);
    });
  } catch (e) {
    await closeSocket(socket);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  assert.equal(socket.getPeerCertificate().subject?.CN, "default.test");
  assert.equal(await roundTrip(socket, "after the switch"), "after the switch");
  await closeSocket(socket);
  // New connections get the new engine's choice.
  assert.equal(
    (await handshake(server.port, "a.example.com")).cn,
    "a.example.com",
  );
});
