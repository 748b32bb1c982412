/**
 * End to end: listeners and ZeroMQ endpoints of the server under test: Unix-socket listeners,
 * several `--listen` ports at once, tcp spec bases in bind and `--zclient-connect` mode,
 * `--ipc-file-mode`, and a port that is already taken (reference §2.1, §5.3, §10, §17).
 */

import assert from "node:assert/strict";
import {
  Child,
  CONDURE_BIN,
  defaultServerKind,
  envelope,
  EXAMPLES_DIR,
  freePort,
  freePortRun,
  type HandlerMessage,
  hasIpv6Loopback,
  RawClient,
  readResponses,
  ScriptedHandler,
  Server,
  serverCommand,
  type ServerKind,
  startPython,
  TempDir,
  waitForOutput,
} from "./_harness.ts";

const HELLO_HEADERS = [["Content-Type", "text/plain"]];

/** Answers the next request packet on `h` with body `body`; returns the packet. */
async function answerNext(
  h: ScriptedHandler,
  body: string,
): Promise<HandlerMessage> {
  const m = await h.next((x) => x.sock === "pull");
  await h.send({
    from: "h1",
    id: m.packet!.id!,
    seq: 0,
    code: 200,
    reason: "OK",
    headers: HELLO_HEADERS,
    body,
  });
  return m;
}

/** Condure 1.9.1 rejects `mode=` (a 1.10 param that Pushpin passes); ours takes it. */
const MODE_PARAM = defaultServerKind() === "condure" ? "" : ",mode=660";

const okWith = (body: string) =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

for (const workers of [1, 2]) {
  Deno.test(
    `a Unix-socket listener (\`path,local,mode=660\`) serves requests without peer fields (--workers ${workers})`,
    async () => {
      await using sockDir = await TempDir.create();
      const path = `${sockDir.path}/s.sock`;
      await using server = await Server.start({
        workers,
        extraFlags: ["--listen", `${path},local${MODE_PARAM}`],
      });
      await waitForOutput(server.child, /\] started\n/);
      const st = Deno.statSync(path);
      assert.equal(st.isSocket, true);
      if (MODE_PARAM) {
        assert.equal((st.mode ?? 0) & 0o777, 0o660, "mode= applied");
      }
      await using h = await ScriptedHandler.start({
        stream: server.streamBase,
      });

      for (let i = 0; i < 2; i++) {
        await using c = await RawClient.connectUnix(path);
        await c.write(`GET /u${i}?x=1 HTTP/1.1\r\nHost: unix.example\r\n\r\n`);
        const m = await answerNext(h, `unix ${i}`);
        const p = m.packet!;
        assert.equal(p.uri, `http://unix.example/u${i}?x=1`);
        assert.deepEqual(Object.keys(p), [
          "from",
          "id",
          "seq",
          "ext",
          "method",
          "uri",
          "headers",
          "credits",
          "stream",
        ], "no peer-address/peer-port for a Unix-socket client");
        assert.deepEqual(await readResponses(c, 1), [okWith(`unix ${i}`)]);
      }
      // the TCP listener of the same instance still works
      await using t = await RawClient.connect(server.port);
      await t.write("GET /tcp HTTP/1.1\r\nHost: h\r\n\r\n");
      const m = await answerNext(h, "tcp");
      assert.equal(m.packet!["peer-address"], "127.0.0.1");
      assert.deepEqual(await readResponses(t, 1), [okWith("tcp")]);
    },
  );
}

Deno.test("the start-up log lists a Unix-socket listener also with --workers 2", async () => {
  await using sockDir = await TempDir.create();
  const path = `${sockDir.path}/logged.sock`;
  for (let i = 0; i < 3; i++) {
    await using server = await Server.start({
      workers: 2,
      extraFlags: ["--listen", `${path},local`],
    });
    await waitForOutput(server.child, /\] started\n/);
    const out = server.child.stdout;
    assert.ok(out.includes(`listening on "${path}" (pathname)\n`), out);
    assert.ok(out.includes(`listening on 127.0.0.1:${server.port}\n`), out);
  }
});

Deno.test("a Unix-socket listener replaces a stale socket file", async () => {
  await using sockDir = await TempDir.create();
  const path = `${sockDir.path}/stale.sock`;
  await Deno.writeTextFile(path, "left over");
  await using server = await Server.start({
    extraFlags: ["--listen", `${path},local`],
  });
  await waitForOutput(server.child, /\] started\n/);
  assert.equal(Deno.statSync(path).isSocket, true);
  await using h = await ScriptedHandler.start({ stream: server.streamBase });
  await using c = await RawClient.connectUnix(path);
  await c.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  await answerNext(h, "fresh");
  assert.deepEqual(await readResponses(c, 1), [okWith("fresh")]);
});

Deno.test(
  "several --listen ports in one instance (two stream, one req, [::1] if present) are all served",
  async () => {
    const second = freePort();
    const v6 = hasIpv6Loopback();
    const v6port = v6 ? freePort() : 0;
    const extraFlags = ["--listen", `127.0.0.1:${second},stream`];
    if (v6) extraFlags.push("--listen", `[::1]:${v6port}`);
    await using server = await Server.start({ req: true, extraFlags });
    await waitForOutput(server.child, /\] started\n/);
    for (const l of [`127.0.0.1:${server.port}`, `127.0.0.1:${second}`]) {
      assert.ok(server.child.stdout.includes(`listening on ${l}\n`), l);
    }
    if (v6) {
      assert.ok(server.child.stdout.includes(`listening on [::1]:${v6port}\n`));
    }
    await using h = await ScriptedHandler.start({
      stream: server.streamBase,
      req: server.reqSpec,
    });

    const streamPorts: Array<[number, string]> = [
      [server.port, "127.0.0.1"],
      [second, "127.0.0.1"],
    ];
    if (v6) streamPorts.push([v6port, "::1"]);
    for (const [port, host] of streamPorts) {
      await using c = await RawClient.connect(port, host);
      await c.write(`GET /p${port} HTTP/1.1\r\n\r\n`);
      const m = await answerNext(h, `port ${port}`);
      assert.equal(m.packet!["peer-address"], host);
      assert.equal(m.packet!["peer-port"], c.localPort);
      assert.equal(m.packet!.uri, `http://localhost/p${port}`);
      assert.deepEqual(await readResponses(c, 1), [okWith(`port ${port}`)]);
    }

    await using r = await RawClient.connect(server.reqPort);
    await r.write("GET /req HTTP/1.1\r\nHost: h\r\n\r\n");
    const m = await h.next((x) => x.sock === "router");
    await h.reply(envelope(m), {
      id: m.packet!.id!,
      code: 200,
      reason: "OK",
      headers: HELLO_HEADERS,
      body: "req",
    });
    assert.deepEqual(await readResponses(r, 1), [okWith("req")]);
  },
);

/**
 * A stream handler that BINDS (for `--zclient-connect`) or connects its PULL, DEALER and PUB
 * (an XPUB, so it can report when the manager's subscription arrived) to tcp P, P+1, P+2, and
 * answers every request with `via <uri>`.
 */
const TCP_HANDLER = `
import sys
import zmq
sys.path.insert(0, sys.argv[1])
import tnetstring

mode, host, port = sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = zmq.Context()
ctx.setsockopt(zmq.LINGER, 0)
pull = ctx.socket(zmq.PULL)
dealer = ctx.socket(zmq.DEALER)
dealer.setsockopt(zmq.IDENTITY, b'hb')
pub = ctx.socket(zmq.XPUB)
for i, sock in enumerate((pull, dealer, pub)):
    ep = 'tcp://%s:%d' % (host, port + i)
    (sock.bind if mode == 'bind' else sock.connect)(ep)
print(mode + ' done', flush=True)
poller = zmq.Poller()
for sock in (pull, dealer, pub):
    poller.register(sock, zmq.POLLIN)
while True:
    for sock, _ in poller.poll():
        if sock is pub:
            msg = pub.recv()
            if msg[:1] == b'\\x01':
                print('subscribed ' + msg[1:].decode(), flush=True)
        elif sock is pull:
            req = tnetstring.loads(pull.recv()[1:])
            resp = {b'from': b'hb', b'id': req[b'id'], b'seq': 0, b'code': 200,
                    b'reason': b'OK', b'headers': [[b'Content-Type', b'text/plain']],
                    b'body': b'via ' + req[b'uri']}
            pub.send(req[b'from'] + b' T' + tnetstring.dumps(resp))
        else:
            print('dealer got %r' % (dealer.recv_multipart(),), flush=True)
`;

async function tcpHandler(
  dir: string,
  mode: "bind" | "connect",
  port: number,
): Promise<Child> {
  const script = `${dir}/tcp_handler.py`;
  await Deno.writeTextFile(script, TCP_HANDLER);
  const child = startPython(script, [
    EXAMPLES_DIR,
    mode,
    "127.0.0.1",
    String(port),
  ]);
  try {
    await waitForOutput(child, new RegExp(`${mode} done`));
  } catch (err) {
    await child.stop();
    throw err;
  }
  return child;
}

async function viaTcpHandler(server: Server, handler: Child): Promise<void> {
  // the manager's SUB subscription has reached the handler's PUB: responses will not be lost
  await waitForOutput(handler, /subscribed condure \n/);
  for (let i = 0; i < 2; i++) {
    await using c = await RawClient.connect(server.port);
    await c.write(`GET /tcp${i} HTTP/1.1\r\nHost: h\r\n\r\n`);
    assert.deepEqual(await readResponses(c, 1), [
      okWith(`via http://h/tcp${i}`),
    ]);
  }
}

Deno.test(
  "a tcp spec base binds P (PUSH), P+1 (ROUTER), P+2 (SUB) for handlers that connect",
  async () => {
    const base = freePortRun(3);
    await using server = await Server.start({
      zclientStream: `tcp://127.0.0.1:${base}`,
    });
    assert.match(
      server.child.stdout,
      new RegExp(
        `zhttp client bind tcp://127.0.0.1:${base} tcp://127.0.0.1:${
          base + 1
        } tcp://127.0.0.1:${base + 2}\n`,
      ),
    );
    await using dir = await TempDir.create();
    await using handler = await tcpHandler(dir.path, "connect", base);
    await viaTcpHandler(server, handler);
  },
);

Deno.test(
  "--zclient-connect with a tcp spec base reaches a handler that binds P, P+1, P+2",
  async () => {
    const base = freePortRun(3);
    await using dir = await TempDir.create();
    await using handler = await tcpHandler(dir.path, "bind", base);
    await using server = await Server.start({
      zclientStream: `tcp://127.0.0.1:${base}`,
      extraFlags: ["--zclient-connect"],
    });
    assert.match(
      server.child.stdout,
      new RegExp(`zhttp client connect tcp://127.0.0.1:${base} `),
    );
    await viaTcpHandler(server, handler);
  },
);

Deno.test("--ipc-file-mode 384 (decimal, = 0600) applies to every bound ipc file", async () => {
  await using server = await Server.start({
    req: true,
    extraFlags: ["--ipc-file-mode", "384"],
  });
  await waitForOutput(server.child, /\] started\n/);
  for (const f of ["client-out", "client-out-stream", "client-in", "req"]) {
    const st = Deno.statSync(`${server.dir.path}/${f}`);
    assert.equal(st.isSocket, true, f);
    assert.equal((st.mode ?? 0) & 0o777, 0o600, `${f} mode`);
  }
  // the files stay usable by their owner
  await using h = await ScriptedHandler.start({ stream: server.streamBase });
  await using c = await RawClient.connect(server.port);
  await c.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  await answerNext(h, "0600");
  assert.deepEqual(await readResponses(c, 1), [okWith("0600")]);
});

/** Runs `kind` on a port that is taken; returns its exit code and output. */
async function bindFailure(
  kind: ServerKind,
  port: number,
): Promise<{ code: number; stdout: string }> {
  await using dir = await TempDir.create();
  await using child = Child.spawn(
    serverCommand(kind, [
      "--listen",
      `127.0.0.1:${port}`,
      "--zclient-stream",
      `ipc://${dir.path}/client`,
      "--workers",
      "2",
    ]),
    { cwd: dir.path, name: kind },
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    child.status,
    new Promise<null>((r) => (timer = setTimeout(() => r(null), 10_000))),
  ]);
  clearTimeout(timer);
  assert.notEqual(status, null, `${kind} did not exit: ${child.stdout}`);
  await child.stop();
  return { code: status!.code, stdout: child.stdout };
}

Deno.test(
  "a port already in use: `failed to bind …: Address already in use (os error 98)`, exit 1, as Condure",
  async () => {
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = taken.addr.port;
    const kinds: ServerKind[] = ["deno"];
    try {
      Deno.statSync(CONDURE_BIN);
      kinds.unshift("condure");
    } catch {
      // no reference binary here
    }
    for (const kind of kinds) {
      const { code, stdout } = await bindFailure(kind, port);
      assert.equal(code, 1, `${kind}: ${stdout}`);
      const errors = stdout.split("\n").filter((l) => l.startsWith("[ERR]"));
      assert.equal(errors.length, 1, `${kind}: ${stdout}`);
      assert.match(
        errors[0]!,
        new RegExp(
          `^\\[ERR\\] \\S+ \\S+ \\[condure\\] failed to bind 127\\.0\\.0\\.1:${port}: ` +
            "Address already in use \\(os error 98\\)$",
        ),
        kind,
      );
      assert.doesNotMatch(stdout, /\] started\n/);
    }
  },
);
