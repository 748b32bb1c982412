/**
 * End to end: the server's log output (reference §13, §17 item 58) and how it reports packets
 * it cannot use while it keeps serving (§3.3, §5.8).
 */

import assert from "node:assert/strict";
import {
  LOG_LINE,
  RawClient,
  readResponses,
  ScriptedHandler,
  Server,
  waitForOutput,
} from "./_harness.ts";

function assertLogLines(stdout: string): void {
  const lines = stdout.split("\n");
  assert.equal(lines.pop(), "", "output ends with a newline");
  assert.ok(lines.length > 0);
  for (const line of lines) assert.match(line, LOG_LINE);
}

async function answer(
  h: ScriptedHandler,
  c: RawClient,
  path: string,
): Promise<string> {
  const from = c.text.length;
  await c.write(`GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`);
  const m = await h.next((x) => x.sock === "pull");
  await h.send({
    from: "h1",
    id: m.packet!.id!,
    seq: 0,
    code: 200,
    reason: "OK",
    body: path,
  });
  const [r] = await readResponses(c, 1, { from });
  assert.ok(r!.endsWith(`\r\n\r\n${path}`), r);
  return m.packet!.id as string;
}

Deno.test(
  "--log-level 3 logs `conn <id>: request: GET http://…`; every line has Condure's format",
  async () => {
    await using server = await Server.start({ logLevel: 3 });
    await using h = await ScriptedHandler.start({ stream: server.streamBase });
    await using c = await RawClient.connect(server.port);
    const id = await answer(h, c, "/logged?q=1");
    await waitForOutput(
      server.child,
      new RegExp(
        `\\[DEBUG\\] [^\\n]* \\[condure::connection\\] conn ${id}: request: GET http://h/logged\\?q=1\\n`,
      ),
    );
    await c.close();
    await server.stop();
    assertLogLines(server.child.stdout);
    assert.equal(server.child.stderr, "");
  },
);

Deno.test("--log-level 2 has no DEBUG lines", async () => {
  await using server = await Server.start({ logLevel: 2 });
  await using h = await ScriptedHandler.start({ stream: server.streamBase });
  await using c = await RawClient.connect(server.port);
  await answer(h, c, "/quiet");
  await c.close();
  await server.stop();
  assertLogLines(server.child.stdout);
  assert.doesNotMatch(server.child.stdout, /^\[DEBUG\]/m);
  assert.match(server.child.stdout, /^\[INFO\] .* \[condure\] started$/m);
});

Deno.test(
  "a packet published to another instance address is ignored; the session goes on",
  async () => {
    await using server = await Server.start();
    await using h = await ScriptedHandler.start({ stream: server.streamBase });
    await using c = await RawClient.connect(server.port);
    await c.write("GET /elsewhere HTTP/1.1\r\nHost: h\r\n\r\n");
    const id = (await h.next((m) => m.sock === "pull")).packet!.id!;
    const response = {
      from: "h1",
      id,
      seq: 0,
      code: 200,
      reason: "OK",
      body: "mine",
    };
    // the SUB socket's "condure " filter drops it before the server sees it
    await h.send({ ...response, body: "other" }, { addr: "other" });
    await h.send({ ...response, body: "long" }, { addr: "condure2" });
    await h.sendRaw("condure");
    await h.sendRaw(`condureT${JSON.stringify(response)}`);
    await h.send(response);
    assert.match((await readResponses(c, 1))[0]!, /\r\n\r\nmine$/);
  },
);

for (const workers of [1, 2]) {
  Deno.test(
    `malformed handler packets are logged as WARN and ignored (--workers ${workers})`,
    async () => {
      await using server = await Server.start({ workers });
      await using h = await ScriptedHandler.start({
        stream: server.streamBase,
      });
      await using c = await RawClient.connect(server.port);
      await c.write("GET /before HTTP/1.1\r\nHost: h\r\n\r\n");
      const id = (await h.next((m) => m.sock === "pull")).packet!.id as string;

      // not tnetstring at all
      await h.sendRaw("condure Tgarbage");
      await h.sendRaw("condure Xnot-a-zhttp-payload");
      // a map with a usable id but a field of the wrong type: the worker's parser rejects it
      await h.send({ from: "h1", id, seq: 0, code: "two hundred" });
      // a length prefix far beyond the data
      await h.sendRaw("condure T999999999:2:id,");
      await waitForOutput(
        server.child,
        /\[WARN\] [^\n]* (zhttp parse error|unable to determine packet id\(s\)): /,
      );
      await waitForOutput(server.child, /\[WARN\] [^\n]* zhttp parse error: /);

      // the session was not touched: it still takes its seq-0 response
      await h.send({
        from: "h1",
        id,
        seq: 0,
        code: 200,
        reason: "OK",
        body: "still here",
      });
      assert.match((await readResponses(c, 1))[0]!, /\r\n\r\nstill here$/);
      // and new requests are served
      await answer(h, c, "/after");
      assertLogLines(server.child.stdout);
      assert.doesNotMatch(server.child.stdout, /\[ERR\]/);
    },
  );
}
