/**
 * WebSocket end to end with real clients: Deno's built-in `WebSocket`, Python's
 * `websockets` library, and raw sockets sending hostile frames, against the server
 * under test and the echo handlers in `examples/` (`wsecho.ts`, `wsecho.py`).
 *
 * The handlers use Condure's default relative endpoints (`ipc://client-out`, …) or
 * take the base as an argument; the server and handlers share a temp dir as cwd.
 */

import assert from "node:assert/strict";
import {
  Child,
  defaultServerKind,
  delay,
  EXAMPLES_DIR,
  parseWsFrames,
  PYTHON,
  RawClient,
  REPO_ROOT,
  Server,
  startPython,
  withTimeout,
  wsFrame,
} from "./_harness.ts";

const WS_CLIENT_PY = `${REPO_ROOT}/tests/integration/_handlers/ws_client.py`;
/** RFC 6455 §1.3 sample key and its accept value. */
const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const OURS = defaultServerKind() === "deno";

/** Whether Debian's python3 has the `websockets` library. */
const HAS_WEBSOCKETS = new Deno.Command(PYTHON, {
  args: ["-c", "import websockets"],
  stdout: "null",
  stderr: "null",
}).outputSync().success;

/** Starts a server whose stream base is the README's relative `ipc://client`. */
function wsServer(extraFlags: string[] = []): Promise<Server> {
  return Server.start({ zclientStream: "ipc://client", extraFlags });
}

/** Starts `examples/wsecho.py` next to the server. */
async function pythonEcho(server: Server): Promise<Child> {
  const child = startPython(`${EXAMPLES_DIR}/wsecho.py`, [], {
    cwd: server.dir.path,
  });
  // the example waits only 10 ms for the PUB→SUB subscription (see python_examples_test.ts)
  await delay(300);
  return child;
}

/** Starts `examples/wsecho.ts` (the Deno handler) next to the server. */
async function denoEcho(server: Server): Promise<Child> {
  const child = Child.spawn([
    Deno.execPath(),
    "run",
    "--allow-all",
    `${EXAMPLES_DIR}/wsecho.ts`,
    "ipc://client",
  ], { cwd: server.dir.path, name: "wsecho.ts" });
  await delay(300);
  return child;
}

/** A Deno `WebSocket` with its messages queued and its close awaited. */
class DenoClient implements AsyncDisposable {
  readonly ws: WebSocket;
  readonly messages: (string | Uint8Array)[] = [];
  readonly closed: Promise<CloseEvent>;
  #wake = () => {};

  private constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = "arraybuffer";
    this.ws.onmessage = (e) => {
      this.messages.push(
        typeof e.data === "string" ? e.data : new Uint8Array(e.data),
      );
      this.#wake();
    };
    this.closed = new Promise((resolve) => this.ws.onclose = resolve);
  }

  static async open(url: string): Promise<DenoClient> {
    const client = new DenoClient(url);
    try {
      await withTimeout(
        new Promise((resolve, reject) => {
          client.ws.onopen = resolve;
          client.ws.onerror = () => reject(new Error("WebSocket error"));
        }),
        4000,
        "WebSocket open",
      );
    } catch (err) {
      await client[Symbol.asyncDispose]();
      throw err;
    }
    return client;
  }

  /** Sends one message and returns the next one received. */
  async echo(data: string | Uint8Array): Promise<string | Uint8Array> {
    const before = this.messages.length;
    this.ws.send(data);
    await withTimeout(
      new Promise<void>((resolve) => {
        this.#wake = () => this.messages.length > before && resolve();
        this.#wake();
      }),
      4000,
      "the echo",
    );
    return this.messages[before]!;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) {
      try {
        this.ws.close();
      } catch {
        // already closing
      }
    }
    await withTimeout(this.closed, 5000, "WebSocket close").catch(() => {});
  }
}

/** Runs `_handlers/ws_client.py` and returns its JSON report. */
async function pythonClient(
  url: string,
  args: string[] = [],
): Promise<Record<string, unknown>> {
  await using client = startPython(WS_CLIENT_PY, [url, ...args]);
  const status = await withTimeout(client.status, 10000, "ws_client.py");
  const line = await client.lines.take(() => true, {
    what: "ws_client.py output",
  });
  const report = JSON.parse(line) as Record<string, unknown>;
  assert.equal(status.code, 0, `${line}\n${client.stderr}`);
  return report;
}

/** The raw upgrade request with the RFC sample key (plus `extra` header lines). */
function upgradeRequest(port: number, extra = ""): string {
  return `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${SAMPLE_KEY}\r\n` +
    `Sec-WebSocket-Version: 13\r\n${extra}\r\n`;
}

/** Opens a raw WebSocket (handshake by hand); returns the client and where frames start. */
async function rawWebSocket(
  port: number,
  extra = "",
): Promise<{ client: RawClient; start: number }> {
  const client = await RawClient.connect(port);
  try {
    await client.write(upgradeRequest(port, extra));
    const text = await client.readUntil("\r\n\r\n");
    const start = text.indexOf("\r\n\r\n") + 4;
    const head = text.slice(0, start);
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.ok(
      head.toLowerCase().includes(
        `\r\nsec-websocket-accept: ${SAMPLE_ACCEPT.toLowerCase()}\r\n`,
      ),
      head,
    );
    return { client, start };
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** A well-behaved raw client gets its text message echoed. */
async function assertEchoes(port: number, message: string): Promise<void> {
  const { client, start } = await rawWebSocket(port);
  await using _c = client;
  await client.write(wsFrame(1, message));
  const text = await client.until(
    (t) => parseWsFrames(t.slice(start)).frames.length > 0,
    { what: "the echo frame" },
  );
  const [frame] = parseWsFrames(text.slice(start)).frames;
  assert.deepEqual(
    { opcode: frame!.opcode, fin: frame!.fin, masked: frame!.masked },
    { opcode: 1, fin: true, masked: false },
  );
  assert.equal(frame!.payload, message);
}

Deno.test("Deno's WebSocket: text, binary, 100 KB and a 1000 close through wsecho.ts", async () => {
  await using server = await wsServer();
  await using _handler = await denoEcho(server);
  await using client = await DenoClient.open(
    `ws://127.0.0.1:${server.port}/echo`,
  );
  assert.equal(await client.echo("hello ws"), "hello ws");
  assert.deepEqual(
    await client.echo(new Uint8Array([0, 1, 2, 255])),
    new Uint8Array([0, 1, 2, 255]),
  );
  const big = new Uint8Array(100 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 255;
  assert.deepEqual(await client.echo(big), big);
  const bigText = "héllo wörld ".repeat(8600); // > 100 KB of UTF-8
  assert.equal(await client.echo(bigText), bigText);
  client.ws.close(1000, "done");
  const event = await withTimeout(client.closed, 4000, "WebSocket close");
  assert.equal(event.code, 1000);
  assert.equal(event.wasClean, true);
});

Deno.test({
  name:
    "Python websockets: text, binary, fragmented, ping and close through wsecho.py",
  ignore: !HAS_WEBSOCKETS,
  async fn() {
    await using server = await wsServer();
    await using _handler = await pythonEcho(server);
    const report = await pythonClient(`ws://127.0.0.1:${server.port}/echo`);
    assert.deepEqual(report, {
      extensions: null,
      text: "hello text",
      binary: [0, 1, 2, 255],
      big_ok: true,
      fragmented: "frag-1 frag-2 frag-3",
      // wsecho.py answers ping packets with pong packets; the server itself sends none
      pong: true,
      // wsecho.py echoes the close code, not the reason
      close_code: 1000,
      close_reason: "",
    });
  },
});

Deno.test({
  name:
    "--compression: Python websockets negotiates permessage-deflate and 10 KB echo intact",
  ignore: !HAS_WEBSOCKETS,
  async fn() {
    await using server = await wsServer(["--compression"]);
    await using _handler = await pythonEcho(server);
    const report = await pythonClient(`ws://127.0.0.1:${server.port}/echo`, [
      "--compress",
      "--text-size",
      "10240",
    ]);
    assert.match(String(report.extensions), /^permessage-deflate\b/);
    assert.deepEqual(
      { ...report, extensions: null },
      {
        extensions: null,
        text: "hello text",
        binary: [0, 1, 2, 255],
        big_ok: true,
        fragmented: "frag-1 frag-2 frag-3",
        pong: true,
        close_code: 1000,
        close_reason: "",
      },
    );
  },
});

Deno.test("--compression: Deno's WebSocket (no deflate offer) still echoes, uncompressed", async () => {
  await using server = await wsServer(["--compression"]);
  await using _handler = await denoEcho(server);
  await using client = await DenoClient.open(
    `ws://127.0.0.1:${server.port}/echo`,
  );
  // Deno 2.9's WebSocket offers no extension, so none is negotiated
  assert.equal(client.ws.extensions, "");
  const text = "repetitive ".repeat(1000);
  assert.equal(await client.echo(text), text);
  client.ws.close(1000, "done");
  assert.equal((await client.closed).code, 1000);
});

Deno.test("--compression: a raw client offering deflate gets RSV1 frames that inflate to the echo", async () => {
  await using server = await wsServer(["--compression"]);
  await using _handler = await pythonEcho(server);
  const { client, start } = await rawWebSocket(
    server.port,
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n",
  );
  await using _c = client;
  assert.match(
    client.text.slice(0, start),
    /\r\nSec-WebSocket-Extensions: permessage-deflate\r\n/i,
  );
  const message = "compress me ".repeat(100);
  await client.write(wsFrame(1, message)); // RSV1 clear: sent uncompressed
  const text = await client.until((t) => {
    const { frames } = parseWsFrames(t.slice(start));
    return frames.some((f) => f.fin);
  }, { what: "the compressed echo" });
  const { frames } = parseWsFrames(text.slice(start));
  assert.equal(frames[0]!.rsv1, true);
  assert.equal(frames[0]!.opcode, 1);
  const deflated = frames.map((f) => f.payload).join("") + "\x00\x00\xff\xff";
  assert.ok(deflated.length < message.length / 4, `${deflated.length} bytes`);
  assert.equal(await inflateRaw(deflated), message);
});

/** Inflates a raw-deflate stream that ends in an empty stored block (no final block). */
async function inflateRaw(latin1Data: string): Promise<string> {
  const bytes = Uint8Array.from(latin1Data, (c) => c.charCodeAt(0));
  const ds = new DecompressionStream("deflate-raw");
  const writer = ds.writable.getWriter();
  const out: Uint8Array[] = [];
  const reading = (async () => {
    for await (const chunk of ds.readable) out.push(chunk);
  })();
  await writer.write(bytes);
  // the stream never ends by itself: a final empty stored block closes it
  await writer.write(new Uint8Array([0x03, 0x00]));
  await writer.close();
  await reading;
  return new TextDecoder().decode(
    Uint8Array.from(out.flatMap((c) => [...c])),
  );
}

/** Hostile client frames (latin-1) and the close code the server must answer with. */
const HOSTILE: { name: string; frame: string; code: number }[] = [
  {
    name: "an unmasked frame",
    frame: wsFrame(1, "hi", { mask: false }),
    code: 1002,
  },
  { name: "reserved opcode 3", frame: wsFrame(3, "hi"), code: 1002 },
  {
    name: "RSV2 set",
    frame: String.fromCharCode(wsFrame(1, "hi").charCodeAt(0) | 0x20) +
      wsFrame(1, "hi").slice(1),
    code: 1002,
  },
  {
    name: "a ping of 126 bytes",
    frame: wsFrame(9, "p".repeat(126)),
    code: 1002,
  },
  {
    name: "a fragmented ping",
    frame: wsFrame(9, "p", { fin: false }),
    code: 1002,
  },
  { name: "invalid UTF-8 text", frame: wsFrame(1, "ok \xc3\x28"), code: 1007 },
  { name: "a close with code 1005", frame: wsFrame(8, "\x03\xed"), code: 1002 },
];

for (const { name, frame, code } of HOSTILE) {
  Deno.test({
    name:
      `hostile WebSocket frame: ${name} → close ${code}, TCP close, others unaffected`,
    // Condure 1.9.1 accepts or drops these without the RFC close code (reference §17)
    ignore: !OURS,
    async fn() {
      await using server = await wsServer();
      await using _handler = await pythonEcho(server);
      await assertEchoes(server.port, "before");
      const { client, start } = await rawWebSocket(server.port);
      await using _c = client;
      await client.write(frame);
      const text = await client.readUntilClose();
      const { frames } = parseWsFrames(text.slice(start));
      const close = frames.find((f) => f.opcode === 8);
      assert.ok(
        close,
        `no close frame in ${JSON.stringify(text.slice(start))}`,
      );
      assert.equal(close.masked, false);
      const got = (close.payload.charCodeAt(0) << 8) |
        close.payload.charCodeAt(1);
      assert.equal(got, code);
      assert.equal(frames.at(-1), close, "nothing after the close frame");
      await assertEchoes(server.port, "after");
    },
  });
}

const BAD_UPGRADES: { name: string; request: (port: number) => string }[] = [
  {
    name: "missing Sec-WebSocket-Key",
    request: (port) =>
      upgradeRequest(port).replace(/Sec-WebSocket-Key: [^\r]*\r\n/, ""),
  },
  {
    name: "Sec-WebSocket-Version: 8",
    request: (port) =>
      upgradeRequest(port).replace("Version: 13", "Version: 8"),
  },
];

for (const { name, request } of BAD_UPGRADES) {
  Deno.test({
    name: `an invalid upgrade (${name}) gets 400 and a close`,
    // our deliberate fix: Condure 1.9.1 closes without a response
    ignore: !OURS,
    async fn() {
      await using server = await wsServer();
      await using _handler = await pythonEcho(server);
      await using client = await RawClient.connect(server.port);
      await client.write(request(server.port));
      const text = await client.readUntilClose();
      assert.match(text, /^HTTP\/1\.1 400 /);
      assert.doesNotMatch(text, /\r\nSec-WebSocket-Accept:/i);
      await assertEchoes(server.port, "still fine");
    },
  });
}
