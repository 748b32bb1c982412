/**
 * End to end over TLS: `main.ts` (and, for comparison, the real Condure 1.9.1) with a
 * `tls,default-cert=` listener and `--tls-identities-dir`, a scripted handler and the
 * README's Python example. What TLS clients and the handler see is compared between the
 * two servers. Skipped for ours while `tls` is listed in `UNSUPPORTED`.
 */

import assert from "node:assert/strict";
import { UNSUPPORTED } from "../../src/cli/mod.ts";
import {
  defaultServerKind,
  delay,
  envelope,
  EXAMPLES_DIR,
  freePort,
  type HandlerMessage,
  isListening,
  type Packet,
  parseWsFrames,
  ScriptedHandler,
  Server,
  type ServerKind,
  startPython,
  wsFrame,
} from "../integration/_harness.ts";
import { makeIdentitiesDir, makeIdentity } from "./_certs.ts";
import { handshake, TlsTextClient } from "./_client.ts";

const UNDER_TEST: ServerKind = defaultServerKind();
const ignore = UNDER_TEST === "deno" && UNSUPPORTED.has("tls");
const KINDS: ServerKind[] = UNDER_TEST === "condure"
  ? ["condure"]
  : ["condure", "deno"];
const WS_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const WS_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** A server with a stream-mode TLS listener on `tlsPort`, identities in `ids`. */
class TlsServer implements AsyncDisposable {
  constructor(
    readonly server: Server,
    readonly tlsPort: number,
    readonly ids: string,
  ) {}

  static async start(
    kind: ServerKind,
    options: {
      defaultCert?: string;
      zclientStream?: string;
      /** Only the `default` pair in the identities dir (ours then uses Deno.listenTls). */
      soleDefault?: boolean;
      /** A req-mode TLS port (its handler socket: `ipc://<server dir>/tlsreq`). */
      req?: boolean;
    } = {},
  ): Promise<TlsServer> {
    let ids: string;
    if (options.soleDefault === true) {
      ids = await Deno.makeTempDir({ prefix: "condure_tls_" });
      await makeIdentity(ids, "default", "default.test");
    } else {
      ids = await makeIdentitiesDir();
    }
    const tlsPort = freePort();
    const params = options.defaultCert === undefined
      ? ""
      : `,default-cert=${options.defaultCert}`;
    const server = await Server.start({
      kind,
      extraFlags: [
        "--listen",
        `127.0.0.1:${tlsPort},${options.req ? "req" : "stream"},tls${params}`,
        "--tls-identities-dir",
        ids,
        ...(options.req ? ["--zclient-req", "ipc://tlsreq"] : []),
      ],
      ...(options.zclientStream === undefined
        ? {}
        : { zclientStream: options.zclientStream }),
    });
    const deadline = Date.now() + 10_000;
    while (!isListening(tlsPort)) {
      if (Date.now() > deadline) throw new Error("TLS port not listening");
      await delay(20);
    }
    return new TlsServer(server, tlsPort, ids);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.server[Symbol.asyncDispose]();
    await Deno.remove(this.ids, { recursive: true });
  }
}

function normalize(m: HandlerMessage): Packet | null {
  return m.packet && "peer-port" in m.packet
    ? { ...m.packet, "peer-port": 0 }
    : m.packet;
}

interface HttpsSeen {
  cn: string;
  request: Packet;
  response: string;
}

async function httpsExchange(
  kind: ServerKind,
  soleDefault = false,
): Promise<HttpsSeen> {
  await using s = await TlsServer.start(kind, {
    defaultCert: "default",
    soleDefault,
  });
  await using h = await ScriptedHandler.start({ stream: s.server.streamBase });
  await using c = await TlsTextClient.connect(s.tlsPort, "a.example.com");
  await c.write(
    "GET /path?x=1 HTTP/1.1\r\nHost: a.example.com\r\nAccept: */*\r\n\r\n",
  );
  const req = await h.next((m) => m.sock === "pull");
  await h.send({
    from: "h1",
    id: req.packet!.id!,
    seq: 0,
    code: 200,
    reason: "OK",
    headers: [["Content-Type", "text/plain"]],
    body: "hi there\n",
  });
  const response = await c.until((t) => t.endsWith("hi there\n"));
  return {
    cn: c.cn,
    request: normalize(req)!,
    response: response.replace(/\r\nDate: [^\r\n]*/gi, ""),
  };
}

Deno.test({
  name:
    "https: the handler sees an https uri and the client the response, as with Condure",
  ignore,
  async fn() {
    const seen: HttpsSeen[] = [];
    for (const kind of KINDS) {
      const s = await httpsExchange(kind);
      assert.equal(s.cn, "a.example.com", kind);
      assert.equal(s.request.uri, "https://a.example.com/path?x=1", kind);
      assert.equal(s.request.method, "GET", kind);
      assert.equal(
        s.response,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nhi there\n",
        kind,
      );
      seen.push(s);
    }
    if (seen.length === 2) assert.deepEqual(seen[1], seen[0]);
  },
});

interface WssSeen {
  cn: string;
  uri: unknown;
  handshake: string;
  message: unknown;
  echoed: string;
}

async function wssExchange(
  kind: ServerKind,
  soleDefault = false,
): Promise<WssSeen> {
  await using s = await TlsServer.start(
    kind,
    soleDefault ? { defaultCert: "default", soleDefault } : {},
  );
  await using h = await ScriptedHandler.start({ stream: s.server.streamBase });
  await using c = await TlsTextClient.connect(s.tlsPort, "www.example.com");
  await c.write(
    `GET /ws HTTP/1.1\r\nHost: www.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const req = (await h.next((m) => m.sock === "pull")).packet!;
  const id = req.id!;
  await h.send({
    from: "h1",
    id,
    seq: 0,
    code: 101,
    reason: "Switching Protocols",
    credits: 8192,
  });
  const head = await c.until((t) => t.includes("\r\n\r\n"));
  await c.write(wsFrame(1, "ping over tls"));
  const data = await h.next((m) =>
    m.sock === "dealer" && m.packet?.body !== undefined
  );
  await h.send({ from: "h1", id, seq: 1, body: "pong over tls" });
  const text = await c.until((t) =>
    parseWsFrames(t.slice(t.indexOf("\r\n\r\n") + 4)).frames.length > 0
  );
  const frames = parseWsFrames(text.slice(text.indexOf("\r\n\r\n") + 4)).frames;
  return {
    cn: c.cn,
    uri: req.uri,
    handshake: head.replace(/\r\nDate: [^\r\n]*/gi, ""),
    message: data.packet?.body,
    echoed: frames[0]?.payload ?? "",
  };
}

Deno.test({
  name:
    "wss: a WebSocket over TLS gets a wss uri, the wildcard certificate and frames both ways",
  ignore,
  async fn() {
    const seen: WssSeen[] = [];
    for (const kind of KINDS) {
      const s = await wssExchange(kind);
      assert.equal(s.cn, "*.example.com", kind);
      assert.equal(s.uri, "wss://www.example.com/ws", kind);
      assert.match(
        s.handshake,
        /^HTTP\/1\.1 101 Switching Protocols\r\n/,
        kind,
      );
      assert.ok(
        s.handshake.includes(`Sec-WebSocket-Accept: ${WS_ACCEPT}\r\n`),
        kind,
      );
      assert.equal(s.message, "ping over tls", kind);
      assert.equal(s.echoed, "pong over tls", kind);
      seen.push(s);
    }
    if (seen.length === 2) assert.deepEqual(seen[1], seen[0]);
  },
});

Deno.test({
  name:
    "https and wss with only the default pair (Deno.listenTls in ours): same packets and bytes as Condure",
  ignore,
  async fn() {
    const https: HttpsSeen[] = [];
    const wss: WssSeen[] = [];
    for (const kind of KINDS) {
      const h = await httpsExchange(kind, true);
      assert.equal(h.cn, "default.test", kind);
      assert.equal(h.request.uri, "https://a.example.com/path?x=1", kind);
      assert.equal(
        h.response,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nhi there\n",
        kind,
      );
      https.push(h);
      const w = await wssExchange(kind, true);
      assert.equal(w.cn, "default.test", kind);
      assert.equal(w.uri, "wss://www.example.com/ws", kind);
      assert.equal(w.message, "ping over tls", kind);
      assert.equal(w.echoed, "pong over tls", kind);
      wss.push(w);
    }
    if (https.length === 2) assert.deepEqual(https[1], https[0]);
    if (wss.length === 2) assert.deepEqual(wss[1], wss[0]);
  },
});

interface ReqSeen {
  request: Packet;
  response: string;
}

async function httpsReqExchange(
  kind: ServerKind,
  soleDefault: boolean,
): Promise<ReqSeen> {
  await using s = await TlsServer.start(kind, {
    defaultCert: "default",
    soleDefault,
    req: true,
  });
  await using h = await ScriptedHandler.start({
    req: `ipc://${s.server.dir.path}/tlsreq`,
  });
  await delay(200); // the handler's ROUTER connects to the server's DEALER
  await using c = await TlsTextClient.connect(s.tlsPort, "a.example.com");
  await c.write(
    "POST /p?x=1 HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 5\r\n\r\nhello",
  );
  const m = await h.next((m) => m.sock === "router");
  await h.reply(envelope(m), {
    id: m.packet!.id!,
    code: 201,
    reason: "Created",
    headers: [["Content-Type", "text/plain"]],
    body: "made\n",
  });
  const response = await c.until((t) => t.endsWith("made\n"));
  return {
    request: normalize(m)!,
    response: response.replace(/\r\nDate: [^\r\n]*/gi, ""),
  };
}

Deno.test({
  name:
    "req mode over TLS (both engines): an https uri for the handler, its reply for the client, as with Condure",
  ignore,
  async fn() {
    for (const soleDefault of [false, true]) {
      const seen: ReqSeen[] = [];
      for (const kind of KINDS) {
        const r = await httpsReqExchange(kind, soleDefault);
        assert.equal(r.request.uri, "https://a.example.com/p?x=1", kind);
        assert.equal(r.request.body, "hello", kind);
        assert.match(r.response, /^HTTP\/1\.1 201 Created\r\n/, kind);
        seen.push(r);
      }
      if (seen.length === 2) {
        assert.deepEqual(seen[1], seen[0], `soleDefault ${soleDefault}`);
      }
    }
  },
});

Deno.test({
  name:
    "TLS listener: default-cert serves unmatched and absent SNI; no identity fails only that handshake",
  ignore,
  async fn() {
    for (const kind of KINDS) {
      {
        await using s = await TlsServer.start(kind, { defaultCert: "default" });
        assert.equal(
          (await handshake(s.tlsPort, "other.test")).cn,
          "default.test",
          kind,
        );
        assert.equal((await handshake(s.tlsPort, "")).cn, "default.test", kind);
      }
      {
        await using s = await TlsServer.start(kind);
        await assert.rejects(handshake(s.tlsPort, "other.test"), Error, kind);
        assert.equal(
          (await handshake(s.tlsPort, "a.example.com")).cn,
          "a.example.com",
          kind,
        );
      }
    }
  },
});

Deno.test({
  name: "basichandler.py answers an https request",
  ignore,
  async fn() {
    await using s = await TlsServer.start(UNDER_TEST, {
      defaultCert: "default",
      zclientStream: "ipc://client",
      soleDefault: true,
    });
    await using handler = startPython(`${EXAMPLES_DIR}/basichandler.py`, [], {
      cwd: s.server.dir.path,
    });
    await delay(300);
    await using c = await TlsTextClient.connect(s.tlsPort, "a.example.com");
    await c.write(
      `GET / HTTP/1.1\r\nHost: localhost:${s.tlsPort}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n`,
    );
    const response = await c.until((t) => t.endsWith("hello world\n"));
    assert.equal(
      response,
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello world\n",
    );
    const line = await handler.lines.take((l) => l.startsWith("IN {"), {
      what: "the handler's IN line",
    });
    assert.ok(
      line.includes(`b'uri': b'https://localhost:${s.tlsPort}/'`),
      line,
    );
  },
});
