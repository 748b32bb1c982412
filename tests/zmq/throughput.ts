// Throughput check (not a test): messages/s through StreamSockets to and from
// an external peer process. The peer is a tiny C program built with gcc
// against the system libzmq when gcc and zmq.h exist, else pyzmq.
//
//   deno run --allow-all tests/zmq/throughput.ts [count] [size]
import {
  deriveStreamEndpoints,
  StreamSockets,
  ZmqContext,
} from "../../src/zmq/mod.ts";
import { freeTcpBase, PYTHON } from "./_peer.ts";

const COUNT = Number(Deno.args[0] ?? 1_000_000);
const SIZE = Number(Deno.args[1] ?? 200);

const C_PEER = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
int main(int argc, char **argv) {
  const char *mode = argv[1], *endpoint = argv[2];
  int n = atoi(argv[3]), size = atoi(argv[4]), zero = 0;
  void *ctx = zmq_ctx_new();
  if (strcmp(mode, "pub") == 0) {
    void *s = zmq_socket(ctx, ZMQ_PUB);
    zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_connect(s, endpoint);
    usleep(300000);
    char *buf = calloc(size, 1);
    memset(buf, 'x', size);
    memcpy(buf, "condure T", 9);
    for (int i = 0; i < n; i++) zmq_send(s, buf, size, 0);
    zmq_send(s, "condure END", 11, 0);
    zmq_close(s);
  } else {
    void *s = zmq_socket(ctx, ZMQ_PULL);
    zmq_connect(s, endpoint);
    char buf[65536];
    struct timespec a, b;
    zmq_recv(s, buf, sizeof buf, 0);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 1; i < n; i++) zmq_recv(s, buf, sizeof buf, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%.0f\n", (n - 1) / secs);
    zmq_close(s);
  }
  zmq_ctx_term(ctx);
  return 0;
}
`;

const PY_PEER = String.raw`
import sys, time, zmq
mode, endpoint, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ctx = zmq.Context()
if mode == "pub":
    s = ctx.socket(zmq.PUB); s.setsockopt(zmq.SNDHWM, 0); s.connect(endpoint)
    time.sleep(0.3)
    buf = (b"condure T" + b"x" * size)[:size]
    for _ in range(n): s.send(buf)
    s.send(b"condure END")
else:
    s = ctx.socket(zmq.PULL); s.connect(endpoint)
    s.recv(); t = time.perf_counter()
    for _ in range(n - 1): s.recv()
    print(round((n - 1) / (time.perf_counter() - t)))
s.close(linger=-1)
`;

const dir = Deno.makeTempDirSync({ prefix: "zmq-throughput-" });
let peer: string[];
try {
  Deno.writeTextFileSync(`${dir}/peer.c`, C_PEER);
  const out = new Deno.Command("gcc", {
    args: ["-O2", "-o", `${dir}/peer`, `${dir}/peer.c`, "-lzmq"],
  }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  peer = [`${dir}/peer`];
} catch {
  Deno.writeTextFileSync(`${dir}/peer.py`, PY_PEER);
  peer = [PYTHON, `${dir}/peer.py`];
}
const peerName = peer.length === 1 ? "C (system libzmq)" : "pyzmq";

const base = `tcp://127.0.0.1:${freeTcpBase()}`;
const endpoints = deriveStreamEndpoints(base);
const ctx = new ZmqContext();
let received = 0;
let started = 0;
let finished: () => void = () => {};
const done = new Promise<void>((resolve) => finished = resolve);
const sockets = new StreamSockets(ctx, {
  specs: [base],
  connect: false,
  instanceId: "condure",
  ipcFileMode: 0,
  rcvHwm: 0,
  queueMax: COUNT + 1,
  onMessage: (frame) => {
    if (received++ === 0) started = performance.now();
    if (frame.length === 11 && frame[8] === 0x45) finished(); // "condure END"
  },
});

function run(mode: string, endpoint: string): Deno.ChildProcess {
  const [cmd, ...args] = peer;
  return new Deno.Command(cmd!, {
    args: [...args, mode, endpoint, String(COUNT), String(SIZE)],
    stdout: "piped",
  }).spawn();
}

try {
  // Peer PUB -> our SUB.
  const pub = run("pub", endpoints.in);
  await done;
  const inRate = (received - 1) / ((performance.now() - started) / 1000);
  await pub.output();
  console.log(
    `SUB  <- ${peerName} PUB : ${Math.round(inRate)} msg/s ` +
      `(${received - 1} x ${SIZE} B)`,
  );

  // Our PUSH -> peer PULL (queued until it connects, then flushed on POLLOUT
  // and sent directly once it keeps up).
  const pull = run("pull", endpoints.out);
  const payload = new Uint8Array(SIZE).fill(0x78);
  for (let i = 0; i < COUNT; i++) sockets.sendRequest(payload);
  const output = await pull.output();
  console.log(
    `PUSH -> ${peerName} PULL: ${
      new TextDecoder().decode(output.stdout).trim()
    } msg/s (measured by the peer)`,
  );
} finally {
  await sockets.close();
  ctx.close();
  Deno.removeSync(dir, { recursive: true });
}
