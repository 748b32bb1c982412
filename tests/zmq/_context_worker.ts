// Worker for socket_test.ts: shares the parent's context by pointer value
// and talks to the parent over inproc.
import { poll, POLLIN, SocketType, ZmqContext } from "../../src/zmq/mod.ts";

const self = globalThis as unknown as {
  onmessage: (event: MessageEvent<{ ctx: bigint }>) => void;
  postMessage: (message: unknown) => void;
};

self.onmessage = async (event) => {
  const ctx = ZmqContext.fromPointerValue(event.data.ctx);
  const push = ctx.socket(SocketType.PUSH);
  const pull = ctx.socket(SocketType.PULL);
  push.connect("inproc://worker-test-up");
  pull.bind("inproc://worker-test-down");
  push.trySend([new TextEncoder().encode("from worker")]);
  self.postMessage("bound");
  await poll([{ socket: pull, events: POLLIN }], 5000);
  const reply = new TextDecoder().decode(pull.tryReceive()![0]);
  ctx.close();
  self.postMessage({ reply, pushClosed: push.closed });
};
