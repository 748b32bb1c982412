/**
 * Differential tests: the real Condure 1.9.1 and the server under test
 * (`CONDURE_UNDER_TEST`, see `_harness.ts`) run side by side with the same
 * flags, the same scripted handler and the same raw client traffic. What the
 * clients receive (minus `Date:` lines) and what the handler receives (with
 * `peer-port` zeroed) must be identical, and each case also asserts the
 * reference behaviour (zhttp-reference.md §17, item numbers in the names).
 *
 * Cases marked `differs` are Condure 1.9.1 defects (reference §19) that our
 * server fixes on purpose: there Condure's behaviour is asserted for Condure
 * and the RFC behaviour for ours, and the two are not compared.
 *
 * Skipped on purpose: the 60 s / 45 s timer items (32-35), maxconn backlog
 * and shutdown (37-38), and WebSocket items past 45.
 */

import assert from "node:assert/strict";
import {
  defaultServerKind,
  delay,
  type HandlerMessage,
  type Packet,
  parseWsFrames,
  RawClient,
  ScriptedHandler,
  Server,
  type ServerKind,
  type ServerOptions,
  wsFrame,
} from "./_harness.ts";

const UNDER_TEST: ServerKind = defaultServerKind();
/** Time for trailing packets/bytes to arrive before a snapshot. */
const SETTLE_MS = 150;
/** The RFC 6455 sample key and its accept value. */
const WS_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const WS_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** What one run observed. */
interface Observation {
  /** Per client connection: everything received, and whether the server closed it. */
  clients: { text: string; closed: boolean }[];
  /** Every handler message, in order, `peer-port` zeroed. */
  handler: HandlerMessage[];
}

/** One scenario. */
interface Case {
  /** Test name. */
  name: string;
  /** Server options beyond kind. */
  server?: Omit<ServerOptions, "kind">;
  /** Drives clients and handler; must not throw for a correct server. */
  run(env: Env): Promise<void>;
  /** Asserts the reference behaviour (for Condure, and for ours unless `differs`). */
  check?(obs: Observation): void;
  /** Projects what is compared between the two servers (default: everything). */
  compare?(obs: Observation): unknown;
  /** A §19 defect we fix on purpose: RFC behaviour asserted for ours instead. */
  differs?: { why: string; check(obs: Observation): void };
}

/** Per-run helpers around one server and one scripted handler (address `h1`). */
class Env {
  readonly clients: RawClient[] = [];
  #seqs = new Map<string, number>();
  constructor(readonly server: Server, readonly h: ScriptedHandler) {}

  /** Connects a raw client to the stream (default) or req port. */
  async connect(port = this.server.port): Promise<RawClient> {
    const client = await RawClient.connect(port);
    this.clients.push(client);
    return client;
  }

  /** Connects and writes `request`. */
  async open(request: string, port?: number): Promise<RawClient> {
    const client = await this.connect(port);
    await client.write(request);
    return client;
  }

  /** The next request packet (PULL). */
  async pull(): Promise<Packet> {
    return (await this.h.next((m) => m.sock === "pull", {
      what: "a request packet",
    })).packet!;
  }

  /** The next DEALER packet of `type` ("" = data). */
  async dealer(type = ""): Promise<Packet> {
    return (await this.h.nextOfType(type)).packet!;
  }

  /** Sends `fields` for session `id` from h1 with the next seq (or `seq`; null = none). */
  send(
    id: string,
    fields: Packet,
    options: { seq?: number | null; from?: string; addr?: string } = {},
  ): Promise<void> {
    let seq: number | null;
    if (options.seq === undefined) {
      seq = this.#seqs.get(id) ?? 0;
      this.#seqs.set(id, seq + 1);
    } else {
      seq = options.seq;
    }
    const packet: Packet = { from: options.from ?? "h1", id };
    if (seq !== null) packet.seq = seq;
    return this.h.send(
      { ...packet, ...fields },
      options.addr ? { addr: options.addr } : {},
    );
  }

  /** Responds 200 with `body` (single packet). */
  ok(id: string, body = "ok\n"): Promise<void> {
    return this.send(id, {
      code: 200,
      reason: "OK",
      headers: [["Content-Type", "text/plain"]],
      body,
    });
  }

  /** Opens a WebSocket with the RFC sample key; returns client and request packet. */
  async ws(
    extraHeaders = "",
  ): Promise<{ c: RawClient; req: Packet; id: string }> {
    const c = await this.open(
      `GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`,
    );
    const req = await this.pull();
    return { c, req, id: req.id as string };
  }

  /** Opens and accepts a WebSocket (101, credits 8192); waits for the client's 101. */
  async wsAccepted(): Promise<{ c: RawClient; id: string }> {
    const { c, id } = await this.ws();
    await this.send(id, {
      code: 101,
      reason: "Switching Protocols",
      credits: 8192,
    });
    await c.readUntil("\r\n\r\n");
    return { c, id };
  }

  snapshot(): Observation {
    return {
      clients: this.clients.map((c) => ({
        text: c.text.replace(/\r\nDate: [^\r\n]*/gi, ""),
        closed: c.closed,
      })),
      handler: this.h.received.map(normalizeMessage),
    };
  }
}

function normalizeMessage(m: HandlerMessage): HandlerMessage {
  const frames = m.frames.map((f) =>
    f.replace(
      /(9:peer-port,\d+:)(\d+)#/,
      (_, p: string, n: string) => p + "0".repeat(n.length) + "#",
    )
  );
  const packet = m.packet && "peer-port" in m.packet
    ? { ...m.packet, "peer-port": 0 }
    : m.packet;
  return { ...m, frames, packet };
}

async function observe(kind: ServerKind, c: Case): Promise<Observation> {
  await using server = await Server.start({ kind, ...c.server });
  await using h = await ScriptedHandler.start({
    stream: server.streamBase,
    ...(c.server?.req ? { req: server.reqSpec } : {}),
  });
  const env = new Env(server, h);
  try {
    await c.run(env);
    await delay(SETTLE_MS);
    return env.snapshot();
  } catch (err) {
    const obs = JSON.stringify(env.snapshot()).slice(0, 2000);
    throw new Error(`[${kind}] ${(err as Error).message}\nobserved: ${obs}`, {
      cause: err,
    });
  } finally {
    await Promise.all(env.clients.map((cl) => cl.close()));
  }
}

/** Comparable form: packets as JSON text so key order counts. */
function comparable(obs: Observation): unknown {
  return {
    clients: obs.clients,
    handler: obs.handler.map((m) => ({
      ...m,
      packet: JSON.stringify(m.packet),
    })),
  };
}

function labelled(kind: ServerKind, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof Error) err.message = `[${kind}] ${err.message}`;
    throw err;
  }
}

function differential(c: Case): void {
  Deno.test(`differential: ${c.name}`, async () => {
    // allSettled: a failing side must not leave the other running past the test
    const results = await Promise.allSettled([
      observe("condure", c),
      observe(UNDER_TEST, c),
    ]);
    const failed = results.filter((r) => r.status === "rejected");
    if (failed.length) {
      throw new AggregateError(failed.map((r) => r.reason), "a side failed");
    }
    const [ref, got] = results.map((r) =>
      (r as PromiseFulfilledResult<Observation>).value
    ) as [
      Observation,
      Observation,
    ];
    labelled("condure", () => c.check?.(ref));
    if (c.differs && UNDER_TEST === "deno") {
      // intentional difference (reference §19): RFC behaviour
      labelled(UNDER_TEST, () => c.differs!.check(got));
      return;
    }
    labelled(UNDER_TEST, () => c.check?.(got));
    const project = c.compare ?? comparable;
    assert.deepEqual(
      project(got),
      project(ref),
      `${UNDER_TEST} differs from condure`,
    );
  });
}

// ---------------------------------------------------------------- helpers

const GET = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
const packets = (obs: Observation, sock: HandlerMessage["sock"]) =>
  obs.handler.filter((m) => m.sock === sock).map((m) => m.packet!);
const ofType = (obs: Observation, type: string) =>
  obs.handler.map((m) => m.packet!).filter((p) =>
    ((p.type as string | undefined) ?? "") === type
  );
const client = (obs: Observation, i = 0) => obs.clients[i]!;
/** Asserts an error response (status in `codes`) was written, then the connection closed. */
function assertRejected(obs: Observation, codes: number[]): void {
  const { text, closed } = client(obs);
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
  assert.ok(
    m && codes.includes(Number(m[1])),
    `expected one of ${codes}, got ${JSON.stringify(text)}`,
  );
  assert.ok(closed, "connection closed after the error response");
  assert.equal(obs.handler.length, 0, "no packet reaches handlers");
}
function assertSilentClose(obs: Observation): void {
  assert.deepEqual(client(obs), { text: "", closed: true });
  assert.equal(obs.handler.length, 0);
}

// ---------------------------------------------------------------- HTTP (stream mode)

differential({
  name: "3. GET request packet fields, order and values",
  async run(env) {
    await env.open("GET /p?x=1 HTTP/1.1\r\nHost: a:81\r\n\r\n");
    await env.ok((await env.pull()).id as string);
    await env.clients[0]!.readUntil("ok\n");
  },
  check(obs) {
    const req = packets(obs, "pull")[0]!;
    assert.deepEqual(Object.keys(req), [
      "from",
      "id",
      "seq",
      "ext",
      "method",
      "uri",
      "headers",
      "credits",
      "stream",
      "peer-address",
      "peer-port",
    ]);
    assert.deepEqual(req, {
      from: "condure",
      id: "0-0-0",
      seq: 0,
      ext: { multi: true },
      method: "GET",
      uri: "http://a:81/p?x=1",
      headers: [["Host", "a:81"]],
      credits: 8192,
      stream: true,
      "peer-address": "127.0.0.1",
      "peer-port": 0,
    });
  },
});

differential({
  name: "4. a request without Host gets host `localhost` in the uri",
  async run(env) {
    const c = await env.open("GET /x HTTP/1.1\r\n\r\n");
    await env.ok((await env.pull()).id as string);
    await c.readUntil("ok\n");
  },
  check(obs) {
    assert.equal(packets(obs, "pull")[0]!.uri, "http://localhost/x");
  },
});

differential({
  name: "5. header order, case and duplicates are preserved",
  async run(env) {
    const c = await env.open(
      "GET / HTTP/1.1\r\nHost: h\r\nX-Foo: Bar\r\nx-foo: baz\r\nAccept: */*\r\n\r\n",
    );
    await env.ok((await env.pull()).id as string);
    await c.readUntil("ok\n");
  },
  check(obs) {
    assert.deepEqual(packets(obs, "pull")[0]!.headers, [
      ["Host", "h"],
      ["X-Foo", "Bar"],
      ["x-foo", "baz"],
      ["Accept", "*/*"],
    ]);
  },
});

differential({
  name:
    "6. ids: 0-0-0, then 0-0-1 on the same connection, 0-0-2 on the next (slot reused)",
  async run(env) {
    const a = await env.open(GET);
    await env.ok((await env.pull()).id as string, "one\n");
    await a.readUntil("one\n");
    await a.write("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    await env.ok((await env.pull()).id as string, "two\n");
    await a.readUntilClose(); // frees slot 0; no id is generated after a close
    const b = await env.open(GET);
    await env.ok((await env.pull()).id as string, "three\n");
    await b.readUntil("three\n");
  },
  check(obs) {
    assert.deepEqual(packets(obs, "pull").map((p) => p.id), [
      "0-0-0",
      "0-0-1",
      "0-0-2",
    ]);
  },
});

differential({
  name: "7. with 2 workers, simultaneous connections get ids `0-…` and `1-…`",
  server: { workers: 2 },
  async run(env) {
    await env.connect();
    await env.connect();
    await delay(50);
    for (const c of env.clients) await c.write(GET);
    for (let i = 0; i < 2; i++) await env.ok((await env.pull()).id as string);
    for (const c of env.clients) await c.readUntil("ok\n");
  },
  check(obs) {
    const prefixes = packets(obs, "pull").map((p) =>
      (p.id as string).split("-")[0]
    ).sort();
    assert.deepEqual(prefixes, ["0", "1"]);
  },
  compare: (obs) =>
    packets(obs, "pull").map((p) => (p.id as string).split("-")[0]).sort(),
  differs: {
    why:
      "our workers accept with SO_REUSEPORT, so the kernel (a hash of the client address and " +
      "port) picks the worker instead of Condure's round-robin hand-off; both spread load",
    check(obs) {
      const prefixes = packets(obs, "pull").map((p) =>
        (p.id as string).split("-")[0]
      );
      assert.equal(prefixes.length, 2);
      for (const p of prefixes) assert.ok(p === "0" || p === "1", p);
    },
  },
});

differential({
  name: "8. a single-packet response gets Content-Length",
  async run(env) {
    const c = await env.open(GET);
    await env.send((await env.pull()).id as string, {
      code: 200,
      reason: "OK",
      headers: [["Content-Type", "text/plain"]],
      body: "hello\n",
    });
    await c.readUntil("hello\n");
  },
  check(obs) {
    assert.equal(
      client(obs).text,
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n",
    );
  },
});

differential({
  name:
    "9/11. a streamed response is chunked and its body bytes come back as credits",
  async run(env) {
    const c = await env.open(GET);
    const id = (await env.pull()).id as string;
    await env.send(id, { code: 200, reason: "OK", body: "hey", more: true });
    await c.readUntil("hey\r\n");
    await env.dealer("credit");
    await env.send(id, { body: "yo", more: true });
    await c.readUntil("yo\r\n");
    await env.dealer("credit");
    await env.send(id, {});
    await c.readUntil("0\r\n\r\n");
  },
  check(obs) {
    assert.equal(
      client(obs).text,
      "HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "3\r\nhey\r\n2\r\nyo\r\n0\r\n\r\n",
    );
    const credits = obs.handler.filter((m) => m.packet?.type === "credit");
    assert.deepEqual(credits.map((m) => m.packet!.credits), [3, 2]);
    assert.deepEqual(credits.map((m) => m.packet!.seq), [1, 2]);
    for (const m of credits) assert.equal(m.frames[0], "");
  },
});

differential({
  name: "10. handler Content-Length with `more` is not chunked",
  async run(env) {
    const c = await env.open(GET);
    const id = (await env.pull()).id as string;
    await env.send(id, {
      code: 200,
      reason: "OK",
      headers: [["Content-Length", "5"]],
      body: "hey",
      more: true,
    });
    await c.readUntil("hey");
    await env.send(id, { body: "yo" });
    await c.readUntil("heyyo");
  },
  check(obs) {
    assert.equal(
      client(obs).text,
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nheyyo",
    );
  },
});

differential({
  name:
    "12. a handler overrunning its credits gets cancel and the client is closed",
  async run(env) {
    const c = await env.open(GET);
    const id = (await env.pull()).id as string;
    await env.send(id, {
      code: 200,
      reason: "OK",
      body: "a".repeat(9000),
      more: true,
    });
    await c.readUntilClose();
    await env.dealer("cancel");
  },
  check(obs) {
    assert.equal(client(obs).closed, true);
    assert.equal(ofType(obs, "cancel").length, 1);
  },
});

differential({
  name: "13. a request body is sent only as credits allow",
  async run(env) {
    const c = await env.open(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij",
    );
    const id = (await env.pull()).id as string;
    await delay(100);
    assert.equal(env.h.pending.length, 0, "no body packet before credits");
    await env.send(id, { type: "credit", credits: 5 });
    await env.dealer("");
    await env.send(id, { type: "credit", credits: 100 });
    await env.dealer("");
    await env.ok(id);
    await c.readUntil("ok\n");
  },
  check(obs) {
    const [req, ...body] = packets(obs, "pull").concat(
      ofType(obs, "").slice(1),
    );
    assert.equal(req!.more, true);
    assert.equal("body" in req!, false);
    assert.deepEqual(body.map((p) => [p.body, p.more, p.seq]), [
      ["01234", true, 1],
      ["56789abcdefghij", undefined, 2],
    ]);
  },
});

differential({
  name:
    "14. `Expect: 100-continue` is answered after the handler's first packet",
  async run(env) {
    const c = await env.open(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    );
    const id = (await env.pull()).id as string;
    await delay(100);
    assert.equal(c.text, "", "no 100 Continue before the handler speaks");
    await env.send(id, { type: "credit", credits: 100 });
    await c.readUntil("100 Continue\r\n\r\n");
    await c.write("hello");
    await env.dealer("");
    await env.ok(id);
    await c.readUntil("ok\n");
  },
  check(obs) {
    assert.ok(
      client(obs).text.startsWith(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
      ),
    );
    assert.equal(ofType(obs, "")[1]!.body, "hello");
  },
});

differential({
  name: "14. `Expect: 100-continue` is ignored for HTTP/1.0",
  async run(env) {
    const c = await env.open(
      "POST / HTTP/1.0\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
    );
    const id = (await env.pull()).id as string;
    await env.send(id, { type: "credit", credits: 100 });
    await env.dealer("");
    await env.ok(id);
    await c.readUntilClose();
  },
  check(obs) {
    assert.ok(client(obs).text.startsWith("HTTP/1.0 200 OK\r\n"));
  },
});

differential({
  name:
    "15. a chunked request body is de-chunked; the last packet has no `more`",
  async run(env) {
    const c = await env.open(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    );
    const id = (await env.pull()).id as string;
    await env.send(id, { type: "credit", credits: 100 });
    await env.h.next((m) =>
      m.sock === "dealer" && m.packet?.more === undefined
    );
    await env.ok(id);
    await c.readUntil("ok\n");
  },
  check(obs) {
    assert.equal(packets(obs, "pull")[0]!.more, true);
    const body = ofType(obs, "").filter((p) =>
      p.from === "condure" && p.seq !== 0
    );
    assert.equal(body.map((p) => p.body ?? "").join(""), "hello world");
    assert.equal(body.at(-1)!.more, undefined);
  },
  compare: (obs) => ofType(obs, "").map((p) => p.body ?? "").join(""),
});

differential({
  name:
    "16. a `Content-Length: 0` POST has no `more`; a credit yields one empty final packet",
  async run(env) {
    const c = await env.open(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
    );
    const id = (await env.pull()).id as string;
    await env.send(id, { type: "credit", credits: 10 });
    await delay(100);
    await env.ok(id);
    await c.readUntil("ok\n");
  },
  check(obs) {
    assert.equal("more" in packets(obs, "pull")[0]!, false);
  },
});

differential({
  name:
    "17. an early response (body not read) gets `Connection: close` and a close",
  async run(env) {
    const c = await env.open(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 20\r\n\r\n01234",
    );
    await env.ok((await env.pull()).id as string);
    await c.readUntilClose();
  },
  check(obs) {
    assert.equal(
      client(obs).text,
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 3\r\n\r\nok\n",
    );
    assert.equal(client(obs).closed, true);
  },
});

differential({
  name: "18. HTTP/1.0 with a streamed response: no length, close at the end",
  async run(env) {
    const c = await env.open("GET / HTTP/1.0\r\nHost: h\r\n\r\n");
    const id = (await env.pull()).id as string;
    await env.send(id, { code: 200, reason: "OK", body: "hey", more: true });
    await c.readUntil("hey");
    await env.send(id, { body: "yo" });
    await c.readUntilClose();
  },
  check(obs) {
    assert.deepEqual(client(obs), {
      text: "HTTP/1.0 200 OK\r\n\r\nheyyo",
      closed: true,
    });
  },
});

differential({
  name: "18. HTTP/1.0 keep-alive with a streamed response",
  async run(env) {
    const c = await env.open(
      "GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
    );
    const id = (await env.pull()).id as string;
    await env.send(id, { code: 200, reason: "OK", body: "hey", more: true });
    await c.readUntil("hey");
    await env.send(id, { body: "yo" });
    await c.until((t, closed) => t.endsWith("heyyo") || closed, {
      timeoutMs: 1000,
    });
    await delay(200);
  },
  check(obs) {
    // Condure 1.9.1: `Connection: keep-alive`, no length, connection left open
    assert.deepEqual(client(obs), {
      text: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nheyyo",
      closed: false,
    });
  },
  differs: {
    why:
      "§19: Condure keeps the connection open after a length-less body; close instead",
    check(obs) {
      assert.ok(client(obs).text.endsWith("\r\n\r\nheyyo"), client(obs).text);
      assert.equal(client(obs).closed, true);
    },
  },
});

differential({
  name:
    "19. HTTP/1.0 keep-alive with a fixed body gets keep-alive and Content-Length",
  async run(env) {
    const c = await env.open(
      "GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
    );
    await env.ok((await env.pull()).id as string);
    await c.readUntil("ok\n");
    await delay(100);
  },
  check(obs) {
    assert.deepEqual(client(obs), {
      text:
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n" +
        "Content-Length: 3\r\n\r\nok\n",
      closed: false,
    });
  },
});

differential({
  name:
    "20. `Connection: close` request; handler Connection/Transfer-Encoding dropped",
  async run(env) {
    const c = await env.open(
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    await env.send((await env.pull()).id as string, {
      code: 200,
      reason: "OK",
      headers: [
        ["Connection", "keep-alive"],
        ["Transfer-Encoding", "chunked"],
        ["Content-Length", "5"],
        ["X-A", "b"],
      ],
      body: "hello",
    });
    await c.readUntilClose();
  },
  check(obs) {
    assert.deepEqual(client(obs), {
      text:
        "HTTP/1.1 200 OK\r\nX-A: b\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
      closed: true,
    });
  },
});

differential({
  name: "21. 204 and 304 responses carry no body and no Content-Length",
  async run(env) {
    const c = await env.open(GET);
    await env.send((await env.pull()).id as string, {
      code: 204,
      reason: "No Content",
      body: "zz",
    });
    await c.readUntil("\r\n\r\n");
    await c.write(GET);
    await env.send((await env.pull()).id as string, {
      code: 304,
      reason: "Not Modified",
      body: "zz",
    });
    await c.readUntil("Modified\r\n\r\n");
    await c.write(GET);
    await env.ok((await env.pull()).id as string);
    await c.readUntil("ok\n");
  },
  check(obs) {
    assert.equal(
      client(obs).text,
      "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n" +
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n",
    );
  },
});

differential({
  name: "22. HEAD: handler Content-Length kept, no body",
  async run(env) {
    const c = await env.open("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
    await env.send((await env.pull()).id as string, {
      code: 200,
      reason: "OK",
      headers: [["Content-Length", "10"]],
    });
    await c.readUntil("\r\n\r\n");
    await c.write(GET); // the connection is still usable
    await env.ok((await env.pull()).id as string);
    await c.readUntil("ok\n");
  },
  check(obs) {
    assert.equal(
      client(obs).text,
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" +
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n",
    );
  },
});

differential({
  name: "22. HEAD: a body sent by the handler is not written",
  async run(env) {
    const c = await env.open("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
    await env.send((await env.pull()).id as string, {
      code: 200,
      reason: "OK",
      body: "0123456789",
    });
    await c.readUntil("\r\n\r\n");
    await delay(100);
  },
  check(obs) {
    // Condure 1.9.1 writes the body after the head (§19 defect)
    assert.equal(
      client(obs).text,
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
    );
  },
  differs: {
    why: "§19: no body after a HEAD response (RFC 9110 §9.3.2)",
    check(obs) {
      assert.equal(
        client(obs).text,
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
      );
    },
  },
});

differential({
  name: "23. pipelined requests are handled one at a time, in order",
  async run(env) {
    const c = await env.open(GET.replace("/", "/1") + GET.replace("/", "/2"));
    const first = await env.pull();
    await delay(150);
    assert.equal(
      env.h.pending.length,
      0,
      "second request not sent before the first response",
    );
    await env.ok(first.id as string, "one\n");
    const second = await env.pull();
    await env.ok(second.id as string, "two\n");
    await c.readUntil("two\n");
  },
  check(obs) {
    assert.deepEqual(packets(obs, "pull").map((p) => [p.id, p.uri]), [
      ["0-0-0", "http://h/1"],
      ["0-0-1", "http://h/2"],
    ]);
    assert.match(client(obs).text, /one\n[^]*two\n$/);
  },
});

// 24: malformed requests. Condure closes silently; we answer with a 4xx (§19).
const malformed: [string, string, number[]][] = [
  ["a malformed request line", "GARBAGE\r\n\r\n", [400]],
  [
    "`Transfer-Encoding: gzip`",
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
    [400, 501],
  ],
  [
    "`Content-Length: abc`",
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
    [400],
  ],
  [
    "65 headers",
    "GET / HTTP/1.1\r\nHost: h\r\n" + "X-H: v\r\n".repeat(64) + "\r\n",
    [400, 431],
  ],
  [
    "a head over 8192 bytes",
    `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${"b".repeat(9000)}\r\n\r\n`,
    [400, 431],
  ],
  [
    "a uri over 4096 bytes",
    `GET /${"u".repeat(4100)} HTTP/1.1\r\nHost: h\r\n\r\n`,
    [414],
  ],
];
for (const [what, request, codes] of malformed) {
  differential({
    name: `24. ${what}: Condure closes silently`,
    async run(env) {
      const c = await env.open(request);
      await c.readUntilClose();
    },
    check: assertSilentClose,
    differs: {
      why: "§19: a fitting 4xx response, then close",
      check: (obs) => assertRejected(obs, codes),
    },
  });
}

differential({
  name: "25. exactly 64 request headers are accepted",
  async run(env) {
    const c = await env.open(
      "GET / HTTP/1.1\r\nHost: h\r\n" + "X-H: v\r\n".repeat(63) + "\r\n",
    );
    await env.ok((await env.pull()).id as string);
    await c.readUntil("ok\n");
  },
  check(obs) {
    assert.equal((packets(obs, "pull")[0]!.headers as unknown[]).length, 64);
  },
});

differential({
  name: "§19. `Transfer-Encoding: Chunked` (other case)",
  async run(env) {
    const c = await env.open(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    await c.until((_, closed) => closed, { timeoutMs: 500 }).catch(() => {});
    if (env.h.pending.length) {
      const id = (await env.pull()).id as string;
      await env.send(id, { type: "credit", credits: 100 });
      await env.h.next((m) =>
        m.sock === "dealer" && m.packet?.more === undefined
      );
      await env.ok(id);
      await c.readUntil("ok\n");
    }
  },
  check: assertSilentClose,
  differs: {
    why: "§19: transfer-coding names are case-insensitive (RFC 9112 §7)",
    check(obs) {
      assert.equal(packets(obs, "pull")[0]!.more, true);
      assert.equal(
        ofType(obs, "").map((p) => p.seq === 0 ? "" : p.body ?? "").join(""),
        "hello",
      );
      assert.ok(client(obs).text.endsWith("ok\n"));
    },
  },
});

differential({
  name: "26. handler `cancel` mid-response closes the client connection",
  async run(env) {
    const c = await env.open(GET);
    const id = (await env.pull()).id as string;
    await env.send(id, { code: 200, reason: "OK", body: "part", more: true });
    await c.readUntil("part");
    await env.send(id, { type: "cancel" });
    await c.readUntilClose();
  },
  check(obs) {
    assert.ok(client(obs).text.endsWith("4\r\npart\r\n"));
    assert.equal(client(obs).closed, true);
  },
});

differential({
  name: "26. handler `error` closes the client connection without a response",
  async run(env) {
    const c = await env.open(GET);
    await env.send((await env.pull()).id as string, {
      type: "error",
      condition: "bad-request",
    });
    await c.readUntilClose();
  },
  check(obs) {
    assert.deepEqual(client(obs), { text: "", closed: true });
    assert.equal(ofType(obs, "cancel").length, 0);
  },
});

differential({
  name: "27. a packet with a wrong `seq` kills the session without cancel",
  async run(env) {
    const c = await env.open(GET);
    await env.send((await env.pull()).id as string, {
      code: 200,
      reason: "OK",
      body: "x",
    }, { seq: 5 });
    await c.readUntilClose();
  },
  check(obs) {
    assert.deepEqual(client(obs), { text: "", closed: true });
    assert.equal(obs.handler.length, 1);
  },
});

differential({
  name: "27. a packet without `seq` is accepted",
  async run(env) {
    const c = await env.open(GET);
    const id = (await env.pull()).id as string;
    await env.send(id, { type: "keep-alive" }, { seq: null });
    await env.send(id, { code: 200, reason: "OK", body: "ok\n" }, { seq: 0 });
    await c.readUntil("ok\n");
  },
  check(obs) {
    assert.ok(client(obs).text.endsWith("\r\n\r\nok\n"));
  },
});

differential({
  name: "28. packets for another instance or an unknown id are ignored",
  async run(env) {
    const c = await env.open(GET);
    const id = (await env.pull()).id as string;
    await env.send(id, { code: 500, reason: "Wrong" }, {
      addr: "other",
      seq: 0,
    });
    await env.send("0-0-99", { code: 500, reason: "Wrong" }, { seq: 0 });
    await env.h.sendRaw("condure");
    await env.h.sendRaw("condure Tgarbage");
    await delay(100);
    await env.ok(id);
    await c.readUntil("ok\n");
  },
  check(obs) {
    assert.match(client(obs).text, /^HTTP\/1\.1 200 OK\r\n/);
  },
});

differential({
  name: "29. a multi-id packet reaches every listed session",
  async run(env) {
    const a = await env.open(GET);
    const ia = (await env.pull()).id as string;
    const b = await env.open(GET);
    const ib = (await env.pull()).id as string;
    await env.send(ia, {
      code: 200,
      reason: "OK",
      headers: [["Content-Length", "4"]],
      more: true,
    });
    await env.send(ib, {
      code: 200,
      reason: "OK",
      headers: [["Content-Length", "4"]],
      more: true,
    });
    await a.readUntil("\r\n\r\n");
    await b.readUntil("\r\n\r\n");
    await env.h.send({
      from: "h1",
      id: [{ id: ia, seq: 1 }, { id: ib, seq: 1 }],
      body: "both",
    });
    await a.readUntil("both");
    await b.readUntil("both");
  },
  check(obs) {
    for (const c of obs.clients) assert.ok(c.text.endsWith("\r\n\r\nboth"));
  },
});

differential({
  name: "30. a response with 65 headers is ignored; 64 are fine",
  async run(env) {
    const c = await env.open(GET);
    const id = (await env.pull()).id as string;
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => [`X-${i}`, "v"]);
    await env.send(id, {
      code: 200,
      reason: "OK",
      headers: many(65),
      body: "65",
    }, { seq: 0 });
    await delay(100);
    await env.send(id, {
      code: 200,
      reason: "OK",
      headers: many(64),
      body: "64",
    }, { seq: 0 });
    await c.readUntil("\r\n\r\n64");
  },
  check(obs) {
    assert.ok(
      client(obs).text.includes("X-63: v\r\nContent-Length: 2\r\n\r\n64"),
    );
  },
});

differential({
  name:
    "31. a client disconnect after the handler spoke yields `cancel` with the next seq",
  async run(env) {
    const c = await env.open(GET);
    const id = (await env.pull()).id as string;
    await env.send(id, { code: 200, reason: "OK", more: true });
    await c.readUntil("\r\n\r\n");
    await c.close();
    await env.dealer("cancel");
  },
  check(obs) {
    assert.equal(ofType(obs, "cancel")[0]!.seq, 1);
  },
});

differential({
  name: "36. handoff: proceed, then a new owner resumes with its own address",
  async run(env) {
    const c = await env.open(GET);
    const id = (await env.pull()).id as string;
    await env.send(id, { type: "handoff-start" });
    await env.dealer("handoff-proceed");
    await env.h.addDealer("h2");
    await env.send(id, { code: 200, reason: "OK", body: "hey", more: true }, {
      from: "h2",
    });
    await c.readUntil("hey\r\n");
    await env.h.next((m) => m.identity === "h2" && m.packet?.type === "credit");
    await env.send(id, {}, { from: "h2" });
    await c.readUntil("0\r\n\r\n");
  },
  check(obs) {
    const dealer = obs.handler.filter((m) => m.sock === "dealer");
    assert.deepEqual(
      dealer.map((m) => [m.identity, m.packet!.type, m.packet!.seq]),
      [
        ["h1", "handoff-proceed", 1],
        ["h2", "credit", 2],
      ],
    );
  },
});

// ---------------------------------------------------------------- WebSocket

differential({
  name:
    "39. a WebSocket upgrade packet has a ws:// uri, no `stream`, credits 8192",
  async run(env) {
    const { c, id } = await env.ws();
    await env.send(id, {
      code: 101,
      reason: "Switching Protocols",
      credits: 8192,
    });
    await c.readUntil("\r\n\r\n");
  },
  check(obs) {
    const req = packets(obs, "pull")[0]!;
    assert.equal(req.uri, "ws://h/ws");
    assert.equal(req.credits, 8192);
    assert.equal("stream" in req, false);
    assert.equal("more" in req, false);
  },
});

differential({
  name:
    "40. the 101 gets correct upgrade headers; other handler headers are kept",
  async run(env) {
    const { c, id } = await env.ws("Sec-WebSocket-Protocol: chat\r\n");
    await env.send(id, {
      code: 101,
      reason: "Switching Protocols",
      headers: [
        ["Upgrade", "bogus"],
        ["Connection", "bogus"],
        ["Sec-WebSocket-Accept", "bogus"],
        ["Sec-WebSocket-Protocol", "chat"],
      ],
    });
    await c.readUntil("\r\n\r\n");
  },
  check(obs) {
    assert.equal(
      client(obs).text,
      "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Protocol: chat\r\nUpgrade: websocket\r\n" +
        `Connection: Upgrade\r\nSec-WebSocket-Accept: ${WS_ACCEPT}\r\n\r\n`,
    );
  },
});

differential({
  name: "41. client text, binary and fragmented messages become data packets",
  async run(env) {
    const { c } = await env.wsAccepted();
    const next = () => env.h.next((m) => m.sock === "dealer");
    await c.write(wsFrame(1, "text"));
    await next();
    await c.write(wsFrame(2, "\x00\xff"));
    await next();
    await c.write(wsFrame(1, "a", { fin: false }));
    await next();
    await c.write(wsFrame(0, "b", { fin: false }));
    await next();
    await c.write(wsFrame(0, "c"));
    await next();
  },
  check(obs) {
    const data = ofType(obs, "").filter((p) => p.seq !== 0);
    assert.deepEqual(data.map((p) => [p["content-type"], p.body, p.more]), [
      ["text", "text", undefined],
      ["binary", "\x00\xff", undefined],
      ["text", "a", true],
      ["text", "b", true],
      ["text", "c", undefined],
    ]);
  },
});

differential({
  name: "42. client ping/pong are forwarded; the manager does not answer pings",
  async run(env) {
    const { c } = await env.wsAccepted();
    await c.write(wsFrame(9, "pi"));
    await env.dealer("ping");
    await c.write(wsFrame(10, "po"));
    await env.dealer("pong");
  },
  check(obs) {
    assert.equal(ofType(obs, "ping")[0]!.body, "pi");
    assert.equal(ofType(obs, "pong")[0]!.body, "po");
    assert.ok(
      client(obs).text.endsWith("\r\n\r\n"),
      "no frame from the manager",
    );
  },
});

differential({
  name: "43. handler binary, fragmented and control frames; credits come back",
  async run(env) {
    const { c, id } = await env.wsAccepted();
    const mark = c.text.length;
    await env.send(id, { "content-type": "binary", body: "\x01\x02" });
    await c.readBytes(mark + 4);
    await env.send(id, { body: "ab", more: true });
    await c.readBytes(mark + 8);
    await env.send(id, { body: "cd" });
    await c.readBytes(mark + 12);
    await env.send(id, { type: "ping", body: "p" });
    await c.readBytes(mark + 15);
    await env.send(id, { type: "pong", body: "q" });
    await c.readBytes(mark + 18);
  },
  check(obs) {
    const { frames } = parseWsFrames(
      client(obs).text.slice(client(obs).text.indexOf("\r\n\r\n") + 4),
    );
    assert.deepEqual(
      frames.map((f) => [f.fin, f.opcode, f.payload, f.masked]),
      [
        [true, 2, "\x01\x02", false],
        [false, 1, "ab", false],
        [true, 0, "cd", false],
        [true, 9, "p", false],
        [true, 10, "q", false],
      ],
    );
    const credits = ofType(obs, "credit").reduce(
      (n, p) => n + (p.credits as number),
      0,
    );
    assert.equal(credits, 8);
  },
  compare: (obs) => ({
    client: obs.clients,
    credits: ofType(obs, "credit").reduce(
      (n, p) => n + (p.credits as number),
      0,
    ),
  }),
});

differential({
  name:
    "44. client close → `close` packet; handler close → close frame and TCP close",
  async run(env) {
    const { c, id } = await env.wsAccepted();
    await c.write(wsFrame(8, "\x03\xe9going away"));
    await env.dealer("close");
    await env.send(id, { type: "close", code: 1000, body: "bye" });
    await c.readUntilClose();
  },
  check(obs) {
    const close = ofType(obs, "close")[0]!;
    assert.deepEqual([close.code, close.body], [1001, "going away"]);
    const text = client(obs).text;
    assert.ok(
      text.endsWith("\r\n\r\n\x88\x05\x03\xe8bye"),
      JSON.stringify(text),
    );
    assert.equal(client(obs).closed, true);
    assert.equal(ofType(obs, "cancel").length, 0);
  },
});

differential({
  name:
    "45. a handler close without code sends close frame 1000, then the handshake ends",
  async run(env) {
    const { c, id } = await env.wsAccepted();
    await env.send(id, { type: "close" });
    await c.readUntil("\x88\x02\x03\xe8");
    await c.write(wsFrame(8, "\x03\xe8"));
    await env.dealer("close");
    await c.readUntilClose();
  },
  check(obs) {
    assert.ok(client(obs).text.endsWith("\r\n\r\n\x88\x02\x03\xe8"));
    assert.equal(client(obs).closed, true);
    assert.equal(ofType(obs, "close")[0]!.code, 1000);
  },
});

differential({
  name: "§19. an unmasked client frame",
  async run(env) {
    const { c } = await env.wsAccepted();
    await c.write(wsFrame(1, "plain", { mask: false }));
    await c.until((_, closed) => closed, { timeoutMs: 300 }).catch(() => {});
  },
  check(obs) {
    assert.equal(ofType(obs, "")[1]!.body, "plain"); // Condure 1.9.1 accepts it
  },
  differs: {
    why:
      "§19: a server must close with 1002 on an unmasked frame (RFC 6455 §5.1)",
    check(obs) {
      const text = client(obs).text;
      const { frames } = parseWsFrames(
        text.slice(text.indexOf("\r\n\r\n") + 4),
      );
      assert.deepEqual(frames.map((f) => [f.opcode, f.payload.slice(0, 2)]), [[
        8,
        "\x03\xea",
      ]]);
      assert.equal(ofType(obs, "").length, 1, "the frame is not forwarded");
    },
  },
});
