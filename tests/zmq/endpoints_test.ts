import assert from "node:assert/strict";
import { deriveStreamEndpoints, ipcPath } from "../../src/zmq/mod.ts";

Deno.test("`deriveStreamEndpoints()` appends suffixes to an ipc base", () => {
  assert.deepEqual(deriveStreamEndpoints("ipc:///tmp/x/client"), {
    out: "ipc:///tmp/x/client-out",
    outStream: "ipc:///tmp/x/client-out-stream",
    in: "ipc:///tmp/x/client-in",
  });
  assert.deepEqual(deriveStreamEndpoints("ipc://client").in, "ipc://client-in");
});

Deno.test("`deriveStreamEndpoints()` uses ports P, P+1, P+2 for a tcp base", () => {
  assert.deepEqual(deriveStreamEndpoints("tcp://127.0.0.1:18310"), {
    out: "tcp://127.0.0.1:18310",
    outStream: "tcp://127.0.0.1:18311",
    in: "tcp://127.0.0.1:18312",
  });
  assert.equal(
    deriveStreamEndpoints("tcp://[::1]:5000").outStream,
    "tcp://[::1]:5001",
  );
});

Deno.test("`deriveStreamEndpoints()` rejects bases with Condure's messages", () => {
  const fails = (base: string, message: string) =>
    assert.throws(() => deriveStreamEndpoints(base), {
      name: "TypeError",
      message,
    });
  fails("inproc://x", "base spec must be ipc or tcp");
  fails("udp://1.2.3.4:5", "base spec must be ipc or tcp");
  fails(
    "tcp://127.0.0.1",
    "error parsing tcp port in base spec: invalid digit found in string",
  );
  fails(
    "tcp://127.0.0.1:",
    "error parsing tcp port in base spec: cannot parse integer from empty string",
  );
  fails(
    "tcp://127.0.0.1:70000",
    "error parsing tcp port in base spec: number too large to fit in target type",
  );
});

Deno.test("`ipcPath()` returns the file of ipc endpoints only", () => {
  assert.equal(ipcPath("ipc://rel/client-in"), "rel/client-in");
  assert.equal(ipcPath("ipc:///abs/x"), "/abs/x");
  assert.equal(ipcPath("ipc://@abstract"), null);
  assert.equal(ipcPath("tcp://127.0.0.1:1"), null);
});
