// Integration tests: the manager's req-mode DEALER against a real pyzmq
// ROUTER handler process that connects after the DEALER is bound.
import assert from "node:assert/strict";
import { ReqSockets, ZmqContext } from "../../src/zmq/mod.ts";
import { delay, freeTcpBase, MemoryLogger, Peer, waitFor } from "./_peer.ts";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test('`ReqSockets` sends ["", payload] and takes the payload after the envelope', async () => {
  const dir = Deno.makeTempDirSync({ prefix: "zmq-req-test-" });
  const endpoint = `tcp://127.0.0.1:${freeTcpBase()}`;
  const ctx = new ZmqContext();
  const received: string[] = [];
  const logger = new MemoryLogger();
  const req = new ReqSockets(ctx, {
    specs: [endpoint],
    connect: false,
    ipcFileMode: 0,
    onMessage: (payload) => received.push(dec(payload)),
    logger,
  });
  try {
    // Sent before any handler is connected: queued until one is.
    assert.equal(req.send(enc("T-request")), true);
    await delay(50);
    await using handler = Peer.start(dir, {
      kind: "ROUTER",
      endpoints: [endpoint],
    });
    await handler.ready();
    const [rid, empty, payload] = await handler.receive();
    assert.equal(empty!.length, 0);
    assert.equal(dec(payload!), "T-request");
    assert.equal(req.pending, 0);

    await handler.send([rid!, "", "T-reply", "ignored extra"]);
    // 8 envelope frames are accepted; 9 are not; no delimiter is not.
    const eight = Array.from({ length: 8 }, (_, i) => `hop${i}`);
    await handler.send([rid!, ...eight, "", "T-eight-hops"]);
    await handler.send([rid!, ...eight, "hop8", "", "T-nine-hops"]);
    await handler.send([rid!, "T-no-delimiter"]);
    await handler.send([rid!, "hop", ""]);
    await handler.send([rid!, "", "T-last"]);
    await waitFor(() => received.length >= 3);
    await delay(50);
    assert.deepEqual(received, ["T-reply", "T-eight-hops", "T-last"]);

    // Sends while the DEALER is being polled are queued and flushed promptly.
    for (let i = 0; i < 50; i++) req.send(enc(`T-${i}`));
    for (let i = 0; i < 50; i++) {
      const frames = await handler.receive();
      assert.equal(dec(frames[2]!), `T-${i}`);
    }
  } finally {
    await req.close();
    ctx.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("`ReqSockets` binds repeated ipc specs verbatim with the file mode and removes them", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "zmq-req-ipc-test-" });
  const ctx = new ZmqContext();
  const req = new ReqSockets(ctx, {
    specs: [`ipc://${dir}/a`, `ipc://${dir}/b`],
    connect: false,
    ipcFileMode: 0o660,
    onMessage: () => {},
  });
  try {
    for (const name of ["a", "b"]) {
      const info = Deno.statSync(`${dir}/${name}`);
      assert.ok(info.isSocket);
      assert.equal(info.mode! & 0o777, 0o660);
    }
  } finally {
    await req.close();
    ctx.close();
  }
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  Deno.removeSync(dir);
});

Deno.test("`ReqSockets` with `connect: true` reaches a handler that binds", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "zmq-req-connect-test-" });
  const endpoint = `ipc://${dir}/handler`;
  await using handler = Peer.start(dir, {
    kind: "ROUTER",
    endpoints: [endpoint],
    bind: true,
  });
  await handler.ready();
  const ctx = new ZmqContext();
  const received: string[] = [];
  const req = new ReqSockets(ctx, {
    specs: [endpoint],
    connect: true,
    ipcFileMode: 0,
    onMessage: (payload) => received.push(dec(payload)),
  });
  try {
    req.send(enc("T-hello"));
    const [rid, , payload] = await handler.receive();
    assert.equal(dec(payload!), "T-hello");
    await handler.send([rid!, "", "T-back"]);
    await waitFor(() => received.length === 1);
    assert.deepEqual(received, ["T-back"]);
  } finally {
    await req.close();
    ctx.close();
    await handler.kill();
    Deno.removeSync(dir, { recursive: true });
  }
});
