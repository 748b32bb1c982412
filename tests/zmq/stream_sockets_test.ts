// Integration tests: the manager's stream sockets against real pyzmq handler
// processes that connect after the sockets are bound and waiting.
import assert from "node:assert/strict";
import {
  deriveStreamEndpoints,
  StreamSockets,
  type StreamSocketsOptions,
  ZmqContext,
} from "../../src/zmq/mod.ts";
import { delay, freeTcpBase, MemoryLogger, Peer, waitFor } from "./_peer.ts";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

interface Fixture extends AsyncDisposable {
  ctx: ZmqContext;
  sockets: StreamSockets;
  dir: string;
  base: string;
  received: string[];
  logger: MemoryLogger;
}

function setup(
  options: Partial<StreamSocketsOptions> & { base?: string } = {},
): Fixture {
  const dir = Deno.makeTempDirSync({ prefix: "zmq-stream-test-" });
  const base = options.base ?? `tcp://127.0.0.1:${freeTcpBase()}`;
  const ctx = new ZmqContext();
  const received: string[] = [];
  const logger = new MemoryLogger();
  const sockets = new StreamSockets(ctx, {
    specs: [base],
    connect: false,
    instanceId: "condure",
    ipcFileMode: 0,
    onMessage: (frame) => received.push(dec(frame)),
    logger,
    ...options,
  });
  return {
    ctx,
    sockets,
    dir,
    base,
    received,
    logger,
    async [Symbol.asyncDispose]() {
      await sockets.close();
      ctx.close();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

// The ROUTER learns a handler's identity shortly after the handler's
// handshake: probe until a send is accepted (the probe is then received).
async function waitRoutable(f: Fixture, peer: Peer, id: string) {
  for (let i = 0; i < 500; i++) {
    if (f.sockets.sendTo(enc(id), enc("T-probe"))) {
      assert.deepEqual(await peer.receiveText(), ["", "T-probe"]);
      f.logger.records.length = 0;
      return;
    }
    await delay(10);
  }
  throw new Error(`handler ${id} never became routable`);
}

Deno.test("`StreamSockets.sendRequest()` reaches a PULL handler that connects later", async () => {
  await using f = setup();
  const { out } = deriveStreamEndpoints(f.base);
  // Nobody is connected: the request waits in the queue.
  assert.equal(f.sockets.sendRequest(enc("T-first")), true);
  assert.equal(f.sockets.pendingRequests, 1);
  await delay(100);
  await using pull = Peer.start(f.dir, { kind: "PULL", endpoints: [out] });
  await pull.ready();
  assert.deepEqual(await pull.receiveText(), ["T-first"]);
  await waitFor(() => f.sockets.pendingRequests === 0);
  // Once connected, sends go straight out.
  f.sockets.sendRequest(enc("T-second"));
  assert.deepEqual(await pull.receiveText(), ["T-second"]);
});

Deno.test('`StreamSockets.sendTo()` routes [identity, "", payload] to a DEALER by identity', async () => {
  await using f = setup();
  const { outStream } = deriveStreamEndpoints(f.base);
  await using h1 = Peer.start(f.dir, {
    kind: "DEALER",
    endpoints: [outStream],
    id: "handler-1",
  });
  await using h2 = Peer.start(f.dir, {
    kind: "DEALER",
    endpoints: [outStream],
    id: "handler-2",
  });
  await h1.ready();
  await h2.ready();
  await waitRoutable(f, h1, "handler-1");
  await waitRoutable(f, h2, "handler-2");
  assert.equal(f.sockets.sendTo(enc("handler-2"), enc("T-for-2")), true);
  assert.equal(f.sockets.sendTo(enc("handler-1"), enc("T-for-1")), true);
  assert.deepEqual(await h2.receiveText(), ["", "T-for-2"]);
  assert.deepEqual(await h1.receiveText(), ["", "T-for-1"]);
  assert.deepEqual(f.logger.records, []);
});

Deno.test("`StreamSockets` SUB only delivers packets prefixed with the instance id", async () => {
  await using f = setup();
  const { in: inEndpoint } = deriveStreamEndpoints(f.base);
  await using pub = Peer.start(f.dir, {
    kind: "PUB",
    endpoints: [inEndpoint],
    settle: 0.3,
  });
  await pub.ready();
  await pub.send(["other T-not-for-us"]);
  await pub.send(["condureX T-not-for-us-either"]);
  await pub.send(["condure T-first", "extra frame"]);
  await pub.send(["condure T-second"]);
  await waitFor(() => f.received.length >= 2);
  await delay(50);
  assert.deepEqual(f.received, ["condure T-first", "condure T-second"]);
});

Deno.test("`StreamSockets.sendTo()` resumes after the handler restarts with the same identity", async () => {
  await using f = setup();
  const { outStream } = deriveStreamEndpoints(f.base);
  const first = Peer.start(f.dir, {
    kind: "DEALER",
    endpoints: [outStream],
    id: "h",
  });
  try {
    await first.ready();
    await waitRoutable(f, first, "h");
    f.sockets.sendTo(enc("h"), enc("T-before"));
    assert.deepEqual(await first.receiveText(), ["", "T-before"]);
  } finally {
    await first.kill();
  }
  await using second = Peer.start(f.dir, {
    kind: "DEALER",
    endpoints: [outStream],
    id: "h",
  });
  await second.ready();
  // The old pipe may linger for a moment; keep sending until one arrives.
  let frames: string[] | undefined;
  for (let i = 0; i < 100 && frames === undefined; i++) {
    f.sockets.sendTo(enc("h"), enc(`T-after-${i}`));
    try {
      frames = await second.receiveText(100);
    } catch {
      // not yet
    }
  }
  assert.ok(frames);
  assert.equal(frames[0], "");
  assert.match(frames[1]!, /^T-after-\d+$/);
});

Deno.test("`StreamSockets.sendTo()` an unknown identity logs and returns false", async () => {
  await using f = setup();
  assert.equal(f.sockets.sendTo(enc("nobody"), enc("T-lost")), false);
  assert.deepEqual(f.logger.records, [
    "ERR stream zmq send to: Host unreachable",
  ]);
  assert.equal(f.sockets.pendingRouted, 0);
});

Deno.test("`StreamSockets.sendRequest()` queues up to the bound without a peer, then flushes in order", async () => {
  await using f = setup({ queueMax: 300 });
  const { out } = deriveStreamEndpoints(f.base);
  for (let i = 0; i < 300; i++) {
    assert.equal(f.sockets.sendRequest(enc(`T-${i}`)), true);
  }
  assert.equal(f.sockets.sendRequest(enc("T-overflow")), false);
  assert.equal(f.sockets.pendingRequests, 300);
  await using pull = Peer.start(f.dir, { kind: "PULL", endpoints: [out] });
  await pull.ready();
  for (let i = 0; i < 300; i++) {
    assert.deepEqual(await pull.receiveText(), [`T-${i}`]);
  }
  await waitFor(() => f.sockets.pendingRequests === 0);
});

Deno.test("`StreamSockets` binds ipc endpoints, applies the file mode and removes the files on close", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "zmq-ipc-test-" });
  try {
    const base = `ipc://${dir}/client`;
    const ctx = new ZmqContext();
    const received: string[] = [];
    const sockets = new StreamSockets(ctx, {
      specs: [base],
      connect: false,
      instanceId: "condure",
      ipcFileMode: 0o600,
      onMessage: (frame) => received.push(dec(frame)),
    });
    try {
      for (const suffix of ["-out", "-out-stream", "-in"]) {
        const info = Deno.statSync(`${dir}/client${suffix}`);
        assert.ok(info.isSocket);
        assert.equal(info.mode! & 0o777, 0o600);
      }
      const e = deriveStreamEndpoints(base);
      await using pull = Peer.start(dir, { kind: "PULL", endpoints: [e.out] });
      await using pub = Peer.start(dir, {
        kind: "PUB",
        endpoints: [e.in],
        settle: 0.3,
      });
      await pull.ready();
      await pub.ready();
      sockets.sendRequest(enc("T-over-ipc"));
      assert.deepEqual(await pull.receiveText(), ["T-over-ipc"]);
      await pub.send(["condure T-back"]);
      await waitFor(() => received.length === 1);
      assert.deepEqual(received, ["condure T-back"]);
    } finally {
      await sockets.close();
      ctx.close();
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "peer.py",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("`StreamSockets` with `connect: true` connects to handlers that bind, on every spec", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "zmq-connect-test-" });
  try {
    const tcp = deriveStreamEndpoints(`tcp://127.0.0.1:${freeTcpBase()}`);
    const ipc = deriveStreamEndpoints(`ipc://${dir}/h`);
    await using pullTcp = Peer.start(dir, {
      kind: "PULL",
      endpoints: [tcp.out],
      bind: true,
    });
    await using pullIpc = Peer.start(dir, {
      kind: "PULL",
      endpoints: [ipc.out],
      bind: true,
    });
    await pullTcp.ready();
    await pullIpc.ready();
    const ctx = new ZmqContext();
    const sockets = new StreamSockets(ctx, {
      specs: [`tcp://127.0.0.1:${tcp.out.split(":").at(-1)}`, `ipc://${dir}/h`],
      connect: true,
      instanceId: "condure",
      ipcFileMode: 0o600,
      onMessage: () => {},
    });
    try {
      // PUSH round-robins between the two connected handlers.
      for (let i = 0; i < 4; i++) sockets.sendRequest(enc(`T-${i}`));
      const got = [
        ...(await pullTcp.receiveText()),
        ...(await pullTcp.receiveText()),
        ...(await pullIpc.receiveText()),
        ...(await pullIpc.receiveText()),
      ];
      assert.deepEqual(got.sort(), ["T-0", "T-1", "T-2", "T-3"]);
    } finally {
      await sockets.close();
      ctx.close();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("`StreamSockets` constructor throws on a bad spec or a taken port and leaves nothing open", () => {
  using ctx = new ZmqContext();
  const options = {
    connect: false,
    instanceId: "condure",
    ipcFileMode: 0,
    onMessage: () => {},
  };
  assert.throws(
    () => new StreamSockets(ctx, { ...options, specs: ["inproc://x"] }),
    { name: "TypeError", message: "base spec must be ipc or tcp" },
  );
  const port = freeTcpBase();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: port + 2 });
  try {
    assert.throws(
      () =>
        new StreamSockets(ctx, {
          ...options,
          specs: [`tcp://127.0.0.1:${port}`],
        }),
      { name: "ZmqError", code: "EADDRINUSE" },
    );
  } finally {
    listener.close();
  }
});

Deno.test("`StreamSockets.sendTo()` retries after EAGAIN and keeps the order", async () => {
  await using f = setup({ sndHwm: 10 });
  const { outStream } = deriveStreamEndpoints(f.base);
  await using slow = Peer.start(f.dir, {
    kind: "DEALER",
    endpoints: [outStream],
    id: "slow",
    rcvHwm: 1,
    hold: 0.5,
    short: true,
  });
  await slow.ready();
  await waitRoutable(f, slow, "slow");
  // The peer now sleeps before reading again: 100 x 100 KB cannot all fit
  // in the pipes and socket buffers, so some sends hit EAGAIN and wait for
  // 50 ms retries.
  const big = new Uint8Array(100_000).fill(0x2e);
  let maxPending = 0;
  for (let i = 0; i < 100; i++) {
    big.set(enc(`T-${String(i).padStart(3, "0")}`));
    assert.equal(f.sockets.sendTo(enc("slow"), big.slice()), true);
    maxPending = Math.max(maxPending, f.sockets.pendingRouted);
  }
  assert.ok(maxPending > 0, "expected EAGAIN on a full pipe");
  for (let i = 0; i < 100; i++) {
    const [empty, payload] = await slow.receiveText(10_000);
    assert.equal(empty, "");
    assert.equal(payload!.slice(0, 5), `T-${String(i).padStart(3, "0")}`);
  }
  await waitFor(() => f.sockets.pendingRouted === 0);
  assert.deepEqual(f.logger.records, []);
});

Deno.test("`StreamSockets` loop ends cleanly when the context is closed first", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "zmq-eterm-test-" });
  const ctx = new ZmqContext();
  const logger = new MemoryLogger();
  const sockets = new StreamSockets(ctx, {
    specs: [`ipc://${dir}/client`],
    connect: false,
    instanceId: "condure",
    ipcFileMode: 0,
    onMessage: () => {},
    logger,
  });
  sockets.sendRequest(enc("T-queued"));
  ctx.close();
  await sockets.close();
  assert.equal(sockets.sendRequest(enc("T-late")), false);
  assert.deepEqual(logger.records, []);
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  Deno.removeSync(dir);
});
