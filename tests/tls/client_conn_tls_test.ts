import assert from "node:assert/strict";
import {
  ClientConnection,
  type ConnectionSession,
} from "../../src/server/client_conn.ts";
import { listenTls } from "../../src/tls/mod.ts";
import { makeIdentitiesDir } from "./_certs.ts";
import { closeSocket, connect } from "./_client.ts";

Deno.test("ClientConnection drives a TlsStream: request in, response out, graceful close", async () => {
  const dir = await makeIdentitiesDir();
  const listener = await listenTls({
    address: { kind: "tcp", hostname: "127.0.0.1", port: 0 },
    mode: "stream",
    tls: true,
  }, { identitiesDir: dir });
  const closed = Promise.withResolvers<void>();
  const served = (async () => {
    const stream = await listener.accept();
    const buf = new Uint8Array(8);
    let text = "";
    let last = buf;
    const io = new ClientConnection(stream, {
      onError: (e) => {
        throw e;
      },
    }, () => closed.resolve());
    const session: ConnectionSession = {
      readTarget: () => (last = buf),
      onRead: (n) => {
        text += new TextDecoder().decode(last.subarray(0, n));
        if (text.endsWith("\r\n\r\n")) {
          io.setReading(false);
          const body = "x".repeat(100_000);
          io.write(
            new TextEncoder().encode(
              `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`,
            ),
            0,
          );
          io.write(new TextEncoder().encode(body), body.length);
          io.close(true);
        }
      },
      onEof: () => io.close(false),
      onWriteError: () => {},
      onWritten: () => {},
    };
    io.attach(session);
    io.setReading(true);
    return () => text;
  })();
  const socket = await connect(listener.addr.port, {
    servername: "a.example.com",
  });
  let response = "";
  const ended = new Promise<void>((resolve) => {
    socket.on(
      "data",
      (d: Uint8Array) => response += new TextDecoder().decode(d),
    );
    socket.once("end", () => resolve());
  });
  socket.write("GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  await ended;
  await closed.promise;
  const request = (await served)();
  assert.equal(request, "GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n");
  assert.match(
    response,
    /^HTTP\/1\.1 200 OK\r\nContent-Length: 100000\r\n\r\nx{100000}$/,
  );
  await closeSocket(socket);
  listener.close();
  await Deno.remove(dir, { recursive: true });
  await new Promise((r) => setTimeout(r, 20));
});
