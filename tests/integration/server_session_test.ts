/**
 * End to end: session behaviours of the server under test that need real processes and time:
 * `--stream-maxconn` backpressure, `--stream-timeout`, a handler replaced by a new process,
 * handoff between two handler processes, and routing with several workers
 * (reference §6.9, §6.12, §8, §12, §17 items 7, 35-37).
 */

import assert from "node:assert/strict";
import {
  AutoHandler,
  delay,
  type HandlerMessage,
  type Packet,
  RawClient,
  readResponses,
  ScriptedHandler,
  Server,
} from "./_harness.ts";

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`;

/** The body AutoHandler answers with, as a whole response. */
function autoResponse(body: string): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

/** The id of an AutoHandler response (`<id> <uri>` body). */
function idOf(response: string): string {
  return response.slice(response.indexOf("\r\n\r\n") + 4).split(" ")[0]!;
}

const pulls = (h: ScriptedHandler) =>
  h.received.filter((m) => m.sock === "pull").length;

Deno.test(
  "--stream-maxconn 2 --workers 1: a third connection waits until one of the first two closes",
  async () => {
    await using server = await Server.start({
      workers: 1,
      extraFlags: ["--stream-maxconn", "2"],
    });
    await using auto = await AutoHandler.start(server.streamBase);
    await using c1 = await RawClient.connect(server.port);
    await using c2 = await RawClient.connect(server.port);
    await c1.write(GET("/one"));
    await c2.write(GET("/two"));
    const [r1] = await readResponses(c1, 1);
    const [r2] = await readResponses(c2, 1);
    assert.equal(r1, autoResponse(`${idOf(r1!)} http://h/one`));
    assert.equal(r2, autoResponse(`${idOf(r2!)} http://h/two`));

    // both slots are held by kept-alive connections: the third waits in the backlog
    await using c3 = await RawClient.connect(server.port);
    await c3.write(GET("/three"));
    await delay(500);
    assert.equal(pulls(auto.h), 2, "the third request is not read");
    assert.equal(c3.text, "");
    assert.equal(c3.closed, false);

    const t0 = Date.now();
    await c1.close();
    const [r3] = await readResponses(c3, 1, { timeoutMs: 2000 });
    assert.equal(r3, autoResponse(`${idOf(r3!)} http://h/three`));
    assert.ok(Date.now() - t0 < 1500, "served promptly once a slot freed");
    // the second connection was never disturbed
    await c2.write(GET("/two-again"));
    const [, again] = await readResponses(c2, 2);
    assert.equal(again, autoResponse(`${idOf(again!)} http://h/two-again`));
  },
);

Deno.test(
  "--stream-timeout 2: handler keep-alives without client I/O do not keep a connection open",
  async () => {
    await using server = await Server.start({
      extraFlags: ["--stream-timeout", "2"],
    });
    await using h = await ScriptedHandler.start({ stream: server.streamBase });
    await using c = await RawClient.connect(server.port);
    await c.write(GET("/slow"));
    const id = (await h.next((m) => m.sock === "pull")).packet!.id as string;
    await h.send({
      from: "h1",
      id,
      seq: 0,
      code: 200,
      reason: "OK",
      more: true,
    });
    await c.readUntil("\r\n\r\n");
    const t0 = Date.now();

    let seq = 1;
    let stop = false;
    const keepAlives = (async () => {
      while (!stop && !c.closed) {
        await h.send({ from: "h1", id, seq: seq++, type: "keep-alive" });
        await delay(300);
      }
    })();
    try {
      await c.readUntilClose({ timeoutMs: 5000 });
    } finally {
      stop = true;
      await keepAlives;
    }
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 1500 && elapsed < 4000, `closed after ${elapsed} ms`);
    assert.ok(seq > 4, "keep-alives were flowing all along");
    if (server.kind === "deno") {
      // Condure 1.10's behaviour (1.9.1 sends nothing, reference §19)
      const cancel = await h.nextOfType("cancel", { timeoutMs: 1000 });
      assert.equal(cancel.packet!.id, id);
      assert.equal(cancel.identity, "h1");
    }
  },
);

Deno.test(
  "a handler process replaced by a new one with the same address keeps serving, old sessions too",
  async () => {
    await using server = await Server.start();
    await using c = await RawClient.connect(server.port);
    let id: string;
    {
      await using a = await ScriptedHandler.start({
        stream: server.streamBase,
      });
      await c.write(GET("/long"));
      id = (await a.next((m) => m.sock === "pull")).packet!.id as string;
      await a.send({
        from: "h1",
        id,
        seq: 0,
        code: 200,
        reason: "OK",
        body: "from-a",
        more: true,
      });
      await c.readUntil("6\r\nfrom-a\r\n");
      const credit = await a.nextOfType("credit");
      assert.equal(credit.packet!.credits, 6);
    } // process A exits here

    await using b = await ScriptedHandler.start({ stream: server.streamBase });
    // the session started by A continues with B: same address, next seq
    await b.send({ from: "h1", id, seq: 1, body: "from-b", more: true });
    await c.readUntil("6\r\nfrom-b\r\n");
    const credit = await b.nextOfType("credit");
    assert.deepEqual(
      [credit.identity, credit.packet!.id, credit.packet!.seq],
      ["h1", id, 2],
      "later manager packets reach the new process",
    );
    await b.send({ from: "h1", id, seq: 2 });
    await c.readUntil("0\r\n\r\n");

    // new requests reach B
    await c.write(GET("/next"));
    const next = (await b.next((m) => m.sock === "pull")).packet!;
    await b.send({
      from: "h1",
      id: next.id!,
      seq: 0,
      code: 200,
      reason: "OK",
      body: "b again",
    });
    await c.readUntil("b again");
    await using c2 = await RawClient.connect(server.port);
    await c2.write(GET("/fresh"));
    const fresh = (await b.next((m) => m.sock === "pull")).packet!;
    await b.send({
      from: "h1",
      id: fresh.id!,
      seq: 0,
      code: 200,
      reason: "OK",
      body: "fresh",
    });
    assert.match((await readResponses(c2, 1))[0]!, /\r\n\r\nfresh$/);
  },
);

Deno.test(
  "handoff across two handler processes: A hands off, B resumes with its own address",
  async () => {
    await using server = await Server.start();
    await using a = await ScriptedHandler.start({
      stream: server.streamBase,
      from: "ha",
    });
    await using c = await RawClient.connect(server.port);
    await c.write(GET("/handoff"));
    const id = (await a.next((m) => m.sock === "pull")).packet!.id as string;
    await a.send({ from: "ha", id, seq: 0, type: "handoff-start" });
    const proceed = await a.nextOfType("handoff-proceed");
    assert.deepEqual(
      [proceed.identity, proceed.packet!.id, proceed.packet!.seq],
      ["ha", id, 1],
    );

    // B starts after A took the request, so the PUSH socket cannot hand it to B
    await using b = await ScriptedHandler.start({
      stream: server.streamBase,
      from: "hb",
    });
    await b.send({
      from: "hb",
      id,
      seq: 1,
      code: 200,
      reason: "OK",
      body: "hey",
      more: true,
    });
    await c.readUntil("3\r\nhey\r\n");
    const credit: HandlerMessage = await b.nextOfType("credit");
    assert.deepEqual(
      [
        credit.identity,
        credit.packet!.id,
        credit.packet!.seq,
        credit.packet!.credits,
      ],
      ["hb", id, 2, 3],
      "later credits go to B",
    );
    await b.send({ from: "hb", id, seq: 2, body: "!" });
    assert.equal(
      (await readResponses(c, 1))[0],
      "HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "3\r\nhey\r\n1\r\n!\r\n0\r\n\r\n",
    );
    await delay(100);
    assert.deepEqual(
      a.received.filter((m) => m.sock === "dealer").map((m) => m.packet!.type),
      ["handoff-proceed"],
      "A hears nothing after handing off",
    );
    // the connection goes on (new id, handled by whichever handler PULLs it)
    assert.equal(c.closed, false);
  },
);

Deno.test(
  "--workers 2: 50 connections are all answered, ids start with 0- or 1-, responses route back",
  async () => {
    await using server = await Server.start({ workers: 2 });
    await using auto = await AutoHandler.start(server.streamBase);
    const clients = await Promise.all(
      Array.from({ length: 50 }, () => RawClient.connect(server.port)),
    );
    try {
      await Promise.all(clients.map((c, i) => c.write(GET(`/c${i}`))));
      const first = await Promise.all(
        clients.map(async (c) => (await readResponses(c, 1))[0]!),
      );
      // a second request on each kept-alive connection stays with its worker and slot
      await Promise.all(clients.map((c, i) => c.write(GET(`/c${i}/again`))));
      const second = await Promise.all(
        clients.map(async (c, i) =>
          (await readResponses(c, 1, { from: first[i]!.length }))[0]!
        ),
      );
      const workers = new Set<string>();
      for (let i = 0; i < clients.length; i++) {
        const id1 = idOf(first[i]!);
        const id2 = idOf(second[i]!);
        assert.equal(first[i], autoResponse(`${id1} http://h/c${i}`));
        assert.equal(second[i], autoResponse(`${id2} http://h/c${i}/again`));
        const m1 = /^([01])-(\d+)-[0-9a-f]+$/.exec(id1);
        const m2 = /^([01])-(\d+)-[0-9a-f]+$/.exec(id2);
        assert.ok(m1 && m2, `${id1} ${id2}`);
        assert.deepEqual(
          [m2[1], m2[2]],
          [m1[1], m1[2]],
          "same worker and slot",
        );
        assert.notEqual(id2, id1);
        workers.add(m1[1]!);
      }
      assert.deepEqual([...workers].sort(), ["0", "1"], "both workers served");
      const ids = new Set(
        auto.h.received.filter((m) => m.sock === "pull").map((m) =>
          (m.packet as Packet).id
        ),
      );
      assert.equal(ids.size, 100, "every request had its own id");
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  },
);

Deno.test("--workers 2: a multi-id streamed response and its credits route to both workers", async () => {
  await using server = await Server.start({ workers: 2 });
  await using h = await ScriptedHandler.start({ stream: server.streamBase });
  // open connections until both workers hold one
  const clients: RawClient[] = [];
  const byWorker = new Map<string, { c: RawClient; id: string }>();
  try {
    for (let i = 0; i < 40 && byWorker.size < 2; i++) {
      const c = await RawClient.connect(server.port);
      clients.push(c);
      await c.write(GET(`/s${i}`));
      const id = (await h.next((m) => m.sock === "pull")).packet!.id as string;
      const w = id.split("-")[0]!;
      if (byWorker.has(w)) {
        await h.send({ from: "h1", id, seq: 0, code: 204, reason: "No" });
      } else byWorker.set(w, { c, id });
    }
    assert.equal(byWorker.size, 2, "both workers got a connection");
    const sessions = [...byWorker.values()];
    // one multi-id packet addresses sessions on both workers
    await h.send({
      from: "h1",
      id: sessions.map((s) => ({ id: s.id, seq: 0 })),
      code: 200,
      reason: "OK",
      body: "both",
      more: true,
    });
    for (const s of sessions) await s.c.readUntil("4\r\nboth\r\n");
    for (const s of sessions) {
      const credit = await h.next((m) =>
        m.packet?.type === "credit" && m.packet.id === s.id
      );
      assert.equal(credit.packet!.credits, 4);
      await h.send({ from: "h1", id: s.id, seq: 1, body: s.id });
    }
    for (const s of sessions) {
      await s.c.readUntil(
        `${s.id.length.toString(16)}\r\n${s.id}\r\n0\r\n\r\n`,
      );
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});
