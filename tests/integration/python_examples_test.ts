/**
 * Condure's README walkthrough, run for real: the server under test plus the
 * Python examples in `examples/`, with raw TCP (curl-like) and WebSocket clients.
 *
 * The examples use Condure's default relative endpoints (`ipc://client-out`,
 * ...), so the server and the scripts share a temp dir as their cwd.
 */

import assert from "node:assert/strict";
import {
  Child,
  delay,
  EXAMPLES_DIR,
  PYTHON,
  RawClient,
  Server,
  type ServerOptions,
  startPython,
  withTimeout,
} from "./_harness.ts";

/** What `curl -i http://localhost:<port>/` sends. */
function curlRequest(port: number): string {
  return `GET / HTTP/1.1\r\nHost: localhost:${port}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n`;
}

/** Starts a server whose zclient endpoints are the README's relative `ipc://client`. */
function readmeServer(options: ServerOptions = {}): Promise<Server> {
  return Server.start({
    zclientStream: "ipc://client",
    zclientReq: "ipc://client",
    ...options,
  });
}

function example(name: string, server: Server, args: string[] = []): Child {
  return startPython(`${EXAMPLES_DIR}/${name}`, args, { cwd: server.dir.path });
}

/**
 * Starts a long-running example handler and gives it time to connect, as a
 * person following the README would: the examples wait only 10 ms for the
 * PUB→SUB subscription, so a request already queued when they start could be
 * answered before the server has subscribed, and the answer be lost.
 */
async function handlerExample(name: string, server: Server): Promise<Child> {
  const child = example(name, server);
  await delay(HANDLER_SETTLE_MS);
  return child;
}

const HANDLER_SETTLE_MS = 300;

/** Sends a curl-like GET and returns the whole response (ended by Content-Length). */
async function curl(port: number, timeoutMs = 5000): Promise<string> {
  await using client = await RawClient.connect(port);
  await client.write(curlRequest(port));
  return await client.until((t) => {
    const end = t.indexOf("\r\n\r\n");
    const m = /\r\nContent-Length: (\d+)\r\n/i.exec(t);
    return end >= 0 && m !== null && t.length >= end + 4 + Number(m[1]);
  }, { timeoutMs, what: "a complete response" });
}

/** Decodes a chunked body (whole message given), returns the payload. */
function dechunk(body: string): string {
  let out = "";
  let rest = body;
  while (true) {
    const eol = rest.indexOf("\r\n");
    assert.ok(eol > 0, `bad chunk framing in ${JSON.stringify(body)}`);
    const size = parseInt(rest.slice(0, eol), 16);
    if (size === 0) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    assert.equal(rest.slice(eol + 2 + size, eol + 4 + size), "\r\n");
    rest = rest.slice(eol + 4 + size);
  }
}

Deno.test("basichandler.py answers `curl -i` with the README's hello world", async () => {
  await using server = await readmeServer();
  await using handler = await handlerExample("basichandler.py", server);
  const response = await curl(server.port);
  assert.equal(
    response,
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello world\n",
  );
  await handler.lines.take((l) => l.startsWith("OUT {"), {
    what: "the handler's OUT line",
  });
});

Deno.test("printreq.py prints `condure 0-0-0` and sendresp.py answers that request", async () => {
  await using server = await readmeServer();
  await using printreq = example("printreq.py", server);
  await using client = await RawClient.connect(server.port);
  await client.write(curlRequest(server.port));
  const line = await printreq.lines.take(() => true, {
    what: "printreq output",
  });
  assert.equal(line, "condure 0-0-0");

  await using sendresp = example("sendresp.py", server, [
    "responding from another process",
    "condure",
    "0-0-0",
  ]);
  const status = await withTimeout(
    sendresp.status,
    5000,
    "sendresp.py to exit",
  );
  assert.equal(status.code, 0, sendresp.stderr);
  const response = await client.readUntil("process\n");
  assert.equal(
    response,
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 32\r\n\r\n" +
      "responding from another process\n",
  );
});

Deno.test("`printreq.py | xargs -n 2 sendresp.py …` answers every request", async () => {
  await using server = await readmeServer();
  const script = `${PYTHON} -u ${EXAMPLES_DIR}/printreq.py | ` +
    `xargs -n 2 ${PYTHON} ${EXAMPLES_DIR}/sendresp.py "responding from another process"`;
  await using _pipeline = Child.spawn(["/bin/sh", "-c", script], {
    cwd: server.dir.path,
    group: true,
    name: "pipeline",
  });
  for (let i = 0; i < 2; i++) {
    const response = await curl(server.port);
    assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(
      response.endsWith("\r\n\r\nresponding from another process\n"),
      response,
    );
  }
});

Deno.test("streamhandler.py streams a chunked response within its credits", async () => {
  await using server = await readmeServer();
  await using handler = await handlerExample("streamhandler.py", server);
  await using client = await RawClient.connect(server.port);
  for (let i = 0; i < 2; i++) { // twice on one connection: the response ends cleanly
    const start = client.text.length;
    await client.write(curlRequest(server.port));
    const text = (await client.until((t) =>
      t.slice(start).endsWith("\r\n0\r\n\r\n"), {
      what: "the last chunk",
    })).slice(start);
    const head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" +
      "Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert.ok(text.startsWith(head), text);
    assert.equal(dechunk(text.slice(head.length)), "streamed hello world\n");
  }
  await handler.lines.take((l) => l.startsWith("IN 0-0-1 GET"), {
    what: "second IN line",
  });
});

Deno.test("reqhandler.py answers on a req-mode listener", async () => {
  await using server = await readmeServer({ stream: false, req: true });
  await using _handler = await handlerExample("reqhandler.py", server);
  const response = await curl(server.reqPort);
  assert.equal(
    response,
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello world\n",
  );
});

Deno.test("wsecho.py echoes text and binary messages and answers the close", async () => {
  await using server = await readmeServer();
  await using _handler = await handlerExample("wsecho.py", server);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/echo`);
  ws.binaryType = "arraybuffer";
  const messages: (string | number[])[] = [];
  let gotMessage = () => {};
  ws.onmessage = (e) => {
    messages.push(
      typeof e.data === "string" ? e.data : [...new Uint8Array(e.data)],
    );
    gotMessage();
  };
  const closed = new Promise<CloseEvent>((resolve) => ws.onclose = resolve);
  try {
    await withTimeout(
      new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error("WebSocket error"));
      }),
      5000,
      "WebSocket open",
    );
    const expect = async (n: number) => {
      await withTimeout(
        new Promise<void>((resolve) => {
          gotMessage = () => messages.length >= n && resolve();
          gotMessage();
        }),
        5000,
        `${n} echoed messages`,
      );
    };
    ws.send("hello ws");
    await expect(1);
    ws.send(new Uint8Array([0, 1, 2, 255]));
    await expect(2);
    assert.deepEqual(messages, ["hello ws", [0, 1, 2, 255]]);
  } finally {
    ws.close(1000, "done");
  }
  const event = await withTimeout(closed, 5000, "WebSocket close");
  assert.equal(event.code, 1000);
  assert.equal(event.wasClean, true);
});

Deno.test("wsecho.py rejects a plain HTTP request with 400", async () => {
  await using server = await readmeServer();
  await using _handler = await handlerExample("wsecho.py", server);
  const response = await curl(server.port);
  assert.match(response, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.ok(response.endsWith("WebSocket only\n"));
});
