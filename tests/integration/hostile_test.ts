/**
 * End to end: hostile clients (and a hostile handler) never disturb others. Each test runs one
 * kind of abuse against the server under test while a well-behaved client keeps sending
 * requests on a kept-alive connection; every one of them must be answered within 1 s.
 */

import assert from "node:assert/strict";
import {
  AutoHandler,
  Child,
  delay,
  type Packet,
  PYTHON,
  RawClient,
  readResponses,
  Server,
  type ServerOptions,
} from "./_harness.ts";

/** Longest a well-behaved request may wait for its response. */
const ANSWER_MS = 1000;

interface Rig extends AsyncDisposable {
  server: Server;
  auto: AutoHandler;
}

async function rig(options: ServerOptions = {}): Promise<Rig> {
  const server = await Server.start(options);
  try {
    const auto = await AutoHandler.start(server.streamBase);
    return {
      server,
      auto,
      async [Symbol.asyncDispose]() {
        try {
          await auto[Symbol.asyncDispose]();
        } finally {
          await server[Symbol.asyncDispose]();
        }
      },
    };
  } catch (err) {
    await server[Symbol.asyncDispose]();
    throw err;
  }
}

/**
 * A well-behaved client: `count` requests, `intervalMs` apart, on one kept-alive connection
 * plus one on a fresh connection; each answered correctly within {@linkcode ANSWER_MS}.
 * Returns the slowest answer time.
 */
async function probe(
  port: number,
  options: { count?: number; intervalMs?: number } = {},
): Promise<number> {
  const { count = 10, intervalMs = 100 } = options;
  let slowest = 0;
  const ask = async (c: RawClient, path: string) => {
    const from = c.text.length;
    const t0 = performance.now();
    await c.write(`GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`);
    const [r] = await readResponses(c, 1, { from, timeoutMs: ANSWER_MS });
    slowest = Math.max(slowest, performance.now() - t0);
    assert.match(r!, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(r!.endsWith(` http://h${path}`), r);
  };
  {
    await using c = await RawClient.connect(port);
    for (let i = 0; i < count; i++) {
      await ask(c, `/probe/${i}`);
      await delay(intervalMs);
    }
    assert.equal(c.closed, false);
  }
  await using fresh = await RawClient.connect(port);
  await ask(fresh, "/probe/fresh");
  return slowest;
}

/** Request packets the handler received whose uri does not contain `/probe/`. */
function nonProbeRequests(auto: AutoHandler): Packet[] {
  return auto.h.received
    .filter((m) =>
      m.sock === "pull" && !String(m.packet?.uri).includes("/probe/")
    )
    .map((m) => m.packet!);
}

/** Asserts the client got either nothing or one error response with `status`, and was closed. */
async function assertRejected(c: RawClient, status: number[]): Promise<void> {
  const text = await c.readUntilClose({ timeoutMs: 2000 });
  if (text === "") return; // a reset may discard the response (unread request bytes)
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  assert.ok(
    m && status.includes(Number(m[1])),
    `expected ${status}: ${JSON.stringify(text.slice(0, 200))}`,
  );
  assert.equal(responsesIn(text), 1, "exactly one response, then the close");
}

function responsesIn(text: string): number {
  return text.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0;
}

Deno.test("hostile: 200 slowloris connections (a header byte every 200 ms)", async () => {
  await using r = await rig();
  const conns = await Promise.all(
    Array.from(
      { length: 200 },
      () => Deno.connect({ hostname: "127.0.0.1", port: r.server.port }),
    ),
  );
  const head = "GET /slowloris HTTP/1.1\r\nHost: h\r\nX-Slow: " +
    "s".repeat(64);
  let at = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    const byte = new Uint8Array([head.charCodeAt(at++ % head.length)]);
    writing = Promise.allSettled(conns.map((c) => c.write(byte)));
  }, 200);
  try {
    const slowest = await probe(r.server.port, { count: 10, intervalMs: 150 });
    assert.ok(slowest < ANSWER_MS, `slowest ${slowest} ms`);
    assert.ok(at >= 5, "the slowloris clients kept writing");
  } finally {
    clearInterval(timer);
    await writing;
    for (const c of conns) c.close();
  }
  assert.deepEqual(nonProbeRequests(r.auto), [], "no head ever completed");
});

Deno.test("hostile: a client sending 1 MB of garbage", async () => {
  await using r = await rig();
  await using bad = await RawClient.connect(r.server.port);
  const garbage = new Uint8Array(1 << 20);
  for (let i = 0; i < garbage.length; i += 65536) {
    crypto.getRandomValues(garbage.subarray(i, i + 65536));
  }
  garbage[0] = 0; // never a valid method byte
  const writing = bad.write(garbage);
  const slowest = await probe(r.server.port);
  assert.ok(slowest < ANSWER_MS);
  await assertRejected(bad, [400, 431]);
  await writing;
  assert.deepEqual(nonProbeRequests(r.auto), []);
});

Deno.test("hostile: a head larger than --buffer-size gets 431", async () => {
  await using r = await rig();
  await using big = await RawClient.connect(r.server.port);
  await big.write(
    `GET /big HTTP/1.1\r\nHost: h\r\nX-Big: ${"b".repeat(9000)}\r\n\r\n`,
  );
  const slowest = await probe(r.server.port, { count: 5 });
  assert.ok(slowest < ANSWER_MS);
  const text = await big.readUntilClose({ timeoutMs: 2000 });
  // Condure 1.9.1 closes without a response (reference §19)
  if (r.server.kind === "deno") assert.match(text, /^HTTP\/1\.1 431 /);
  else assert.equal(text, "");
  assert.deepEqual(nonProbeRequests(r.auto), []);
});

/** Connects `n` times and resets (SO_LINGER 0): bare, after a partial head, after a request. */
const RESETTER = `
import socket, struct, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
linger = struct.pack('ii', 1, 0)
for i in range(n):
    for payload in (b'', b'GET /reset HTTP/1.1\\r\\nHo', b'GET /reset/' + str(i).encode() + b' HTTP/1.1\\r\\n\\r\\n'):
        s = socket.create_connection(('127.0.0.1', port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        if payload:
            s.sendall(payload)
        s.close()
print('done', flush=True)
`;

async function resets(r: Rig): Promise<void> {
  await using resetter = Child.spawn(
    [PYTHON, "-c", RESETTER, String(r.server.port), "50"],
    { name: "resetter" },
  );
  const slowest = await probe(r.server.port);
  assert.ok(slowest < ANSWER_MS);
  assert.equal(await resetter.lines.take(() => true), "done");
  assert.equal((await resetter.status).code, 0);
  // and afterwards, too
  assert.ok(
    (await probe(r.server.port, { count: 2, intervalMs: 0 })) < ANSWER_MS,
  );
}

Deno.test("hostile: clients that connect and reset at once", async () => {
  await using r = await rig();
  await resets(r);
});

Deno.test({
  name:
    "hostile: a connection reset before it is accepted is not logged as an error",
}, async () => {
  await using r = await rig();
  await resets(r);
  assert.doesNotMatch(r.server.child.stdout, /\[ERR\]/);
});

Deno.test(
  "hostile: a client that leaves before the handler answers; the late response yields a cancel",
  async () => {
    await using r = await rig();
    {
      await using gone = await RawClient.connect(r.server.port);
      await gone.write("GET /hold/leaver HTTP/1.1\r\nHost: h\r\n\r\n");
      const req = await r.auto.held.take();
      assert.equal(req.uri, "http://h/hold/leaver");
    }
    const req = r.auto.held.all[0]!;
    await delay(100);
    // the handler answers late, in several packets
    await r.auto.h.send({
      from: "h1",
      id: req.id!,
      seq: 0,
      code: 200,
      reason: "OK",
      body: "too late",
      more: true,
    });
    const cancel = await r.auto.h.next(
      (m) => m.packet?.type === "cancel" && m.packet.id === req.id,
      { timeoutMs: ANSWER_MS, what: "a cancel for the departed client" },
    );
    assert.equal(cancel.identity, "h1");
    assert.equal(cancel.packet!.seq, 1);
    await r.auto.h.send({ from: "h1", id: req.id!, seq: 1, body: "more" });
    const slowest = await probe(r.server.port, { count: 5 });
    assert.ok(slowest < ANSWER_MS);
    assert.doesNotMatch(r.server.child.stdout, /\[ERR\]/);
  },
);

Deno.test("hostile: a pipelined burst of 100 requests in one write", async () => {
  await using r = await rig();
  await using burst = await RawClient.connect(r.server.port);
  let requests = "";
  for (let i = 0; i < 100; i++) {
    requests += `GET /burst/${i} HTTP/1.1\r\nHost: h\r\n\r\n`;
  }
  await burst.write(requests);
  const [slowest, responses] = await Promise.all([
    probe(r.server.port),
    readResponses(burst, 100, { timeoutMs: 10_000 }),
  ]);
  assert.ok(slowest < ANSWER_MS);
  responses.forEach((resp, i) => {
    assert.match(resp, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(resp.endsWith(` http://h/burst/${i}`), `response ${i} in order`);
  });
  assert.equal(burst.closed, false);
});

Deno.test("hostile: Content-Length together with Transfer-Encoding gets 400", async () => {
  await using r = await rig();
  await using both = await RawClient.connect(r.server.port);
  await both.write(
    "POST /both HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
  );
  const slowest = await probe(r.server.port, { count: 3 });
  assert.ok(slowest < ANSWER_MS);
  const text = await both.readUntilClose({ timeoutMs: 2000 });
  if (r.server.kind === "deno") {
    assert.match(text, /^HTTP\/1\.1 400 /);
    assert.equal(responsesIn(text), 1);
  } else assert.equal(text, "", "Condure 1.9.1 closes without a response");
  assert.deepEqual(nonProbeRequests(r.auto), [], "nothing reaches the handler");
});

Deno.test("hostile: a chunked body with a bad chunk size gets 400 or a close", async () => {
  await using r = await rig();
  await using bad = await RawClient.connect(r.server.port);
  await bad.write(
    "POST /hold/chunks HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "zz\r\nhello\r\n0\r\n\r\n",
  );
  const req = await r.auto.held.take();
  // the body is read only once the handler grants credits
  await r.auto.h.send({
    from: "h1",
    id: req.id!,
    seq: 0,
    type: "credit",
    credits: 1000,
  });
  await assertRejected(bad, [400]);
  const slowest = await probe(r.server.port, { count: 3 });
  assert.ok(slowest < ANSWER_MS);
  const body = r.auto.h.received.filter((m) =>
    m.packet !== null && m.packet.id === req.id && m.sock === "dealer" &&
    "body" in m.packet
  );
  assert.deepEqual(body, [], "no body bytes were forwarded");
});

/** A tnetstring list nested `depth` deep. */
function nestedList(depth: number): string {
  let s = "0:]";
  for (let i = 0; i < depth; i++) s = `${s.length}:${s}]`;
  return s;
}

/** `T` + a tnetstring map of the given (already encoded) key/value pairs. */
function tmap(...pairs: Array<[string, string]>): string {
  const body = pairs.map(([k, v]) => `${k.length}:${k},${v}`).join("");
  return `T${body.length}:${body}}`;
}
const tstr = (s: string) => `${s.length}:${s},`;

for (const workers of [1, 2]) {
  Deno.test(
    `hostile: a handler sending garbage and oversized packets (--workers ${workers})`,
    async () => {
      await using r = await rig({ workers });
      const h = r.auto.h;
      // a live session that is about to receive an oversized body
      await using victim = await RawClient.connect(r.server.port);
      await victim.write("GET /hold/victim HTTP/1.1\r\nHost: h\r\n\r\n");
      const req = await r.auto.held.take();
      const id = req.id as string;

      const hostile = (async () => {
        await h.sendRaw("condure ");
        await h.sendRaw("condure T");
        await h.sendRaw("condure garbage");
        await h.sendRaw("condure T99999999999999999999:x,");
        await h.sendRaw(`condure T${"9".repeat(5000)}:`);
        await h.sendRaw("condure " + tmap(["id", nestedList(20_000)]));
        await h.sendRaw(
          "condure " + tmap(["from", tstr("h1")], ["id", nestedList(200)]),
        );
        await h.sendRaw(
          "condure " +
            tmap(
              ["from", tstr("h1")],
              ["id", tstr("0-0-999")],
              ["body", tstr("x".repeat(2 << 20))],
            ),
        );
        await h.sendRaw(
          "condure " +
            tmap(
              ["from", tstr("h1")],
              ["id", "0:]"], // no ids at all
            ),
        );
        // many ids, most unknown
        const ids = Array.from(
          { length: 2000 },
          (_, i) => tmap(["id", tstr(`${i % 2}-0-${i.toString(16)}`)]).slice(1),
        ).join("");
        await h.sendRaw(
          "condure " +
            tmap(["from", tstr("h1")], ["id", `${ids.length}:${ids}]`], [
              "type",
              tstr("keep-alive"),
            ]),
        );
        // a body far beyond the victim's credits: that session alone ends, with a cancel
        await h.send({
          from: "h1",
          id,
          seq: 0,
          code: 200,
          reason: "OK",
          body: "v".repeat(100_000),
          more: true,
        });
      })();
      const [, slowest] = await Promise.all([
        hostile,
        probe(r.server.port, { count: 10, intervalMs: 50 }),
      ]);
      assert.ok(slowest < ANSWER_MS);
      await victim.readUntilClose({ timeoutMs: 2000 });
      const cancel = await h.next(
        (m) => m.packet?.type === "cancel" && m.packet.id === id,
        { what: "the victim's cancel" },
      );
      assert.equal(cancel.packet!.seq, 1);
      const out = r.server.child.stdout;
      assert.match(out, /\[WARN\] /);
      assert.deepEqual(
        out.split("\n").filter((l) => l.startsWith("[ERR]")),
        [],
        "no session or worker failed",
      );
      // still fine afterwards
      assert.ok(
        (await probe(r.server.port, { count: 2, intervalMs: 0 })) < ANSWER_MS,
      );
    },
  );
}
