import assert from "node:assert/strict";
import {
  Errno,
  libraryPath,
  poll,
  POLLIN,
  POLLOUT,
  SocketType,
  ZmqContext,
  ZmqError,
} from "../../src/zmq/mod.ts";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

Deno.test("libzmq is loaded from the zeromq addon (or CONDURE_LIBZMQ)", () => {
  const path = libraryPath();
  const override = Deno.env.get("CONDURE_LIBZMQ");
  if (override) assert.equal(path, override);
  else assert.match(path, /zeromq\/build\/.*\/addon\.node$/);
});

Deno.test("`trySend()`/`tryReceive()` move multipart messages over inproc", () => {
  using ctx = new ZmqContext();
  using a = ctx.socket(SocketType.PAIR);
  using b = ctx.socket(SocketType.PAIR);
  a.bind("inproc://socket-test-1");
  b.connect("inproc://socket-test-1");
  assert.equal(a.tryReceive(), null);
  assert.equal(b.trySend([enc("one"), new Uint8Array(0), enc("three")]), true);
  const frames = a.tryReceive()!;
  assert.deepEqual(frames.map(dec), ["one", "", "three"]);
  assert.equal(a.tryReceive(), null);
});

Deno.test("`trySend()` returns false on EAGAIN and sends nothing", () => {
  using ctx = new ZmqContext();
  using push = ctx.socket(SocketType.PUSH);
  push.bind("inproc://socket-test-eagain");
  assert.equal(push.trySend([enc("x"), enc("y")]), false);
  assert.throws(() => push.trySend([]), RangeError);
});

Deno.test("`trySend()` throws EHOSTUNREACH on a ROUTER_MANDATORY socket", () => {
  using ctx = new ZmqContext();
  using router = ctx.socket(SocketType.ROUTER);
  router.setRouterMandatory(true);
  router.bind("inproc://socket-test-router");
  assert.throws(
    () => router.trySend([enc("nobody"), new Uint8Array(0), enc("x")]),
    (error: unknown) =>
      error instanceof ZmqError && error.code === "EHOSTUNREACH" &&
      error.message === "Host unreachable",
  );
});

Deno.test("`bind()`/`connect()` throw ZmqError with libzmq's text", () => {
  using ctx = new ZmqContext();
  using a = ctx.socket(SocketType.PULL);
  using b = ctx.socket(SocketType.PULL);
  assert.throws(() => a.bind("bogus://x"), {
    name: "ZmqError",
    code: "EPROTONOSUPPORT",
    message: "Protocol not supported",
  });
  a.bind("tcp://127.0.0.1:*");
  const endpoint = a.lastEndpoint;
  assert.match(endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.throws(() => b.bind(endpoint), {
    code: "EADDRINUSE",
    message: "Address already in use",
  });
  assert.throws(() => b.connect("tcp://no-port"), { code: "EINVAL" });
});

Deno.test("`poll()` waits on a helper thread and reports revents", async () => {
  using ctx = new ZmqContext();
  using a = ctx.socket(SocketType.PAIR);
  using b = ctx.socket(SocketType.PAIR);
  a.bind("inproc://socket-test-poll");
  b.connect("inproc://socket-test-poll");
  assert.deepEqual(await poll([{ socket: a, events: POLLIN }], 0), [0]);
  const pending = poll([{ socket: a, events: POLLIN }], 5000);
  // The socket is busy while the poll is in flight.
  assert.throws(() => a.tryReceive(), { code: "EBUSY" });
  const timer = setTimeout(() => b.trySend([enc("wake")]), 30);
  const started = performance.now();
  assert.deepEqual(await pending, [POLLIN]);
  clearTimeout(timer);
  assert.ok(performance.now() - started < 2000);
  assert.deepEqual(a.tryReceive()!.map(dec), ["wake"]);
  assert.deepEqual(
    await poll([{ socket: a, events: POLLIN | POLLOUT }], 0),
    [POLLOUT],
  );
});

Deno.test("`close()` during a poll is deferred until the poll returns", async () => {
  using ctx = new ZmqContext();
  const a = ctx.socket(SocketType.PAIR);
  using b = ctx.socket(SocketType.PAIR);
  a.bind("inproc://socket-test-deferred");
  b.connect("inproc://socket-test-deferred");
  const pending = poll([{ socket: a, events: POLLIN }], 50);
  a.close();
  assert.equal(a.closed, true);
  assert.deepEqual(await pending, [0]);
  assert.throws(() => a.tryReceive(), { code: "ENOTSOCK" });
  a.close();
});

Deno.test("`ZmqContext.close()` makes an in-flight poll reject with ETERM", async () => {
  const ctx = new ZmqContext();
  const pull = ctx.socket(SocketType.PULL);
  pull.bind("inproc://socket-test-eterm");
  const pending = poll([{ socket: pull, events: POLLIN }], -1);
  ctx.close();
  await assert.rejects(
    pending,
    (error: unknown) =>
      error instanceof ZmqError && error.errno === Errno.ETERM,
  );
  assert.equal(pull.closed, true);
  ctx.close();
  assert.throws(() => ctx.socket(SocketType.PUSH), TypeError);
});

Deno.test("`ZmqContext.fromPointerValue()` shares inproc with a worker", async () => {
  using ctx = new ZmqContext();
  using up = ctx.socket(SocketType.PULL);
  up.bind("inproc://worker-test-up");
  const worker = new Worker(
    new URL("./_context_worker.ts", import.meta.url),
    { type: "module" },
  );
  try {
    const messages: unknown[] = [];
    let notify = () => {};
    worker.onmessage = (event) => {
      messages.push(event.data);
      notify();
    };
    const next = async () => {
      while (messages.length === 0) {
        await new Promise<void>((resolve) => notify = resolve);
      }
      return messages.shift();
    };
    worker.postMessage({ ctx: ctx.pointerValue });
    assert.equal(await next(), "bound");
    assert.deepEqual(await poll([{ socket: up, events: POLLIN }], 5000), [
      POLLIN,
    ]);
    assert.deepEqual(up.tryReceive()!.map(dec), ["from worker"]);
    using down = ctx.socket(SocketType.PUSH);
    down.connect("inproc://worker-test-down");
    assert.equal(down.trySend([enc("from parent")]), true);
    assert.deepEqual(await next(), { reply: "from parent", pushClosed: true });
  } finally {
    worker.terminate();
  }
  // The worker's wrapper did not terminate the shared context.
  using again = ctx.socket(SocketType.PAIR);
  again.bind("inproc://worker-test-after");
});
