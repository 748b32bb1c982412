/**
 * Pushpin 1.36 in front of the server under test: Pushpin's runner starts
 * `condure_bin` (the real Condure, or a wrapper script that runs our
 * `main.ts` with the same `--flag=value` arguments), zurl, pushpin-proxy and
 * pushpin-handler, all from a private config in a temp dir with free ports.
 * The origin is a Deno.serve server in this test.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import {
  Child,
  defaultServerKind,
  delay,
  freePort,
  isListening,
  RawClient,
  serverCommand,
  type ServerKind,
  TempDir,
  withTimeout,
} from "./_harness.ts";
import { makeIdentity } from "../tls/_certs.ts";
import { TlsTextClient } from "../tls/_client.ts";

const PUSHPIN = "/usr/bin/pushpin";
const ZURL = "/usr/bin/zurl";
const INSTALLED = existsSync(PUSHPIN) && existsSync(ZURL);

interface Ports {
  http: number;
  https: number;
  publish: number;
  pushIn: number;
  pushInSub: number;
  command: number;
}

/** Pushpin's config with everything private to `dir`. */
function pushpinConfig(dir: string, condureBin: string, ports: Ports): string {
  return `[global]
include={libdir}/internal.conf
rundir=${dir}/run
ipc_prefix=pushpin-
port_offset=0
stats_connection_ttl=120

[runner]
services=condure,zurl,pushpin-proxy,pushpin-handler
http_port=127.0.0.1:${ports.http}
https_ports=127.0.0.1:${ports.https}
logdir=${dir}/log
log_level=2
client_buffer_size=8192
client_maxconn=1000
condure_bin=${condureBin}
zurl_bin=${ZURL}

[proxy]
routesfile=routes
zurl_out_specs=ipc://${dir}/run/pushpin-zurl-in
zurl_out_stream_specs=ipc://${dir}/run/pushpin-zurl-in-stream
zurl_in_specs=ipc://${dir}/run/pushpin-zurl-out
debug=true
sig_iss=pushpin
sig_key=changeme
updates_check=off

[handler]
push_in_spec=tcp://127.0.0.1:${ports.pushIn}
push_in_sub_specs=tcp://127.0.0.1:${ports.pushInSub}
push_in_sub_connect=false
push_in_http_addr=127.0.0.1
push_in_http_port=${ports.publish}
stats_spec=ipc://{rundir}/{ipc_prefix}stats
command_spec=tcp://127.0.0.1:${ports.command}
message_rate=2500
message_hwm=25000
message_wait=5000
id_cache_ttl=60
connection_subscription_max=20
subscription_linger=60
stats_subscription_ttl=60
stats_report_interval=10
stats_format=tnetstring
`;
}

/** `condure_bin` for the kind: Condure itself or a wrapper running main.ts. */
async function condureBin(kind: ServerKind, dir: string): Promise<string> {
  if (kind === "condure") return serverCommand("condure", [])[0]!;
  const argv = serverCommand("deno", []).map((a) =>
    `'${a.replaceAll("'", `'\\''`)}'`
  );
  const path = `${dir}/condure-under-test`;
  await Deno.writeTextFile(path, `#!/bin/sh\nexec ${argv.join(" ")} "$@"\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

/** The origin: plain responses, a GRIP stream hold, and a WebSocket echo. */
function startOrigin(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/stream") {
        return new Response("start\n", {
          headers: {
            "Content-Type": "text/plain",
            "Grip-Hold": "stream",
            "Grip-Channel": "test",
          },
        });
      }
      if (
        url.pathname === "/ws" && req.headers.get("upgrade") === "websocket"
      ) {
        const { socket, response } = Deno.upgradeWebSocket(req);
        socket.onmessage = (e) => socket.send(e.data);
        return response;
      }
      return new Response("origin says hi\n", {
        headers: { "Content-Type": "text/plain" },
      });
    },
  );
}

/** A one-shot HTTP/1.1 exchange over a raw connection (`Connection: close`). */
async function httpRequest(
  port: number,
  request: string,
  timeoutMs = 10000,
): Promise<string> {
  await using c = await RawClient.connect(port);
  await c.write(request);
  return await c.readUntilClose({ timeoutMs });
}

Deno.test({
  name:
    "pushpin proxies HTTP, GRIP streams and WebSockets through the server under test",
  ignore: !INSTALLED,
  async fn(t) {
    const kind = defaultServerKind();
    await using dir = await TempDir.create("cit-pp-");
    await Deno.mkdir(`${dir.path}/run`);
    await Deno.mkdir(`${dir.path}/log`);
    await using origin = startOrigin();
    const ports: Ports = {
      http: freePort(),
      https: freePort(),
      publish: freePort(),
      pushIn: freePort(),
      pushInSub: freePort(),
      command: freePort(),
    };
    // https_ports: Pushpin passes `tls,default-cert=default_<port>` and its
    // `<configdir>/runner/certs` as --tls-identities-dir.
    await Deno.mkdir(`${dir.path}/runner/certs`, { recursive: true });
    await makeIdentity(
      `${dir.path}/runner/certs`,
      `default_${ports.https}`,
      "pushpin.test",
    );
    const config = `${dir.path}/pushpin.conf`;
    await Deno.writeTextFile(
      config,
      pushpinConfig(dir.path, await condureBin(kind, dir.path), ports),
    );
    await Deno.writeTextFile(
      `${dir.path}/routes`,
      `* 127.0.0.1:${origin.addr.port}\n`,
    );

    // its own process group: SIGTERM and the SIGKILL fallback reach every service
    await using pushpin = Child.spawn([
      PUSHPIN,
      "--config",
      config,
      "--merge-output",
    ], {
      cwd: dir.path,
      group: true,
      name: "pushpin",
    });
    const deadline = Date.now() + 20000;
    while (
      !isListening(ports.http) || !isListening(ports.https) ||
      !isListening(ports.publish)
    ) {
      assert.ok(
        !pushpin.exited,
        `pushpin exited: ${pushpin.stdout}${pushpin.stderr}`,
      );
      assert.ok(
        Date.now() < deadline,
        `pushpin did not start: ${pushpin.stdout}`,
      );
      await delay(50);
    }
    // every service logs "started" (the server's own line comes through as "[condure] … started")
    for (const service of ["condure", "zurl", "proxy", "handler"]) {
      await pushpin.lines.take(
        (l) => l.includes(`[${service}]`) && l.endsWith(" started"),
        {
          timeoutMs: 20000,
          what: `${service} started (pushpin output: ${pushpin.stdout})`,
        },
      );
    }
    const host = `Host: 127.0.0.1:${ports.http}\r\n`;
    // Pushpin's handler connects its PUB to our SUB at start-up; until the subscription has
    // propagated, its first packet for a session (seq 0) is dropped by ZeroMQ, and that session
    // then stalls or ends in a (rightful) seq error. Condure behaves the same. Warm up until one
    // request goes through.
    const warmDeadline = Date.now() + 20000;
    while (true) {
      let r = "";
      try {
        r = await httpRequest(
          ports.http,
          `GET /warm HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
          2000,
        );
      } catch {
        // a stalled first session: try again
      }
      if (r.startsWith("HTTP/1.1 200 ")) break;
      assert.ok(
        Date.now() < warmDeadline,
        `pushpin never answered: ${JSON.stringify(r)}`,
      );
      await delay(200);
    }

    await t.step("a plain GET is proxied to the origin", async () => {
      const response = await httpRequest(
        ports.http,
        `GET /hello HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
      );
      assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(response.endsWith("\r\n\r\norigin says hi\n"), response);
    });

    await t.step(
      "an https GET on the https_ports entry is proxied to the origin",
      async () => {
        await using c = await TlsTextClient.connect(
          ports.https,
          "pushpin.test",
        );
        assert.equal(c.cn, "pushpin.test");
        await c.write(
          `GET /hello HTTP/1.1\r\nHost: pushpin.test\r\nConnection: close\r\n\r\n`,
        );
        const response = await c.until(
          (t) => t.endsWith("origin says hi\n"),
          10000,
        );
        assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
      },
    );

    await t.step(
      "a `Grip-Hold: stream` response receives a published message",
      async () => {
        await using client = await RawClient.connect(ports.http);
        await client.write(`GET /stream HTTP/1.1\r\n${host}\r\n`);
        const head = await client.readUntil("start\n", { timeoutMs: 10000 });
        assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(head, /\r\nTransfer-Encoding: chunked\r\n/);
        await delay(200); // let the subscription settle in pushpin-handler
        const body = JSON.stringify({
          items: [{
            channel: "test",
            formats: { "http-stream": { content: "hello pub\n" } },
          }],
        });
        const published = await httpRequest(
          ports.publish,
          `POST /publish/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        );
        assert.match(published, /^HTTP\/1\.1 200 OK\r\n[^]*Published/);
        await client.readUntil("hello pub\n", { timeoutMs: 10000 });
      },
    );

    await t.step(
      "a WebSocket is proxied to the origin and echoed",
      async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${ports.http}/ws`);
        const closed = new Promise<void>((resolve) =>
          ws.onclose = () => resolve()
        );
        try {
          await withTimeout(
            new Promise((resolve, reject) => {
              ws.onopen = resolve;
              ws.onerror = () => reject(new Error("WebSocket error"));
            }),
            10000,
            "WebSocket open through pushpin",
          );
          const echoed = new Promise<unknown>((resolve) =>
            ws.onmessage = (e) => resolve(e.data)
          );
          ws.send("hi through pushpin");
          assert.equal(
            await withTimeout(echoed, 10000, "the echo"),
            "hi through pushpin",
          );
        } finally {
          ws.close();
          await withTimeout(closed, 10000, "WebSocket close");
        }
      },
    );

    const status = await pushpin.stop({ graceMs: 5000 });
    assert.ok(
      status.success || status.signal === "SIGTERM",
      JSON.stringify(status),
    );
  },
});
