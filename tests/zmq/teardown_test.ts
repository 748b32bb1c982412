// An isolate torn down by an uncaught error while its poll loop's zmq_poll is
// in flight must exit with the error's code: no hang on the pending op, no
// crash. (The crash this guards against — poll items in a V8 ArrayBuffer
// freed under the helper thread, which re-reads them on every wake-up —
// showed up in about half the runs of a heavier scenario (a ROUTER
// retrying 100 KB sends to a slow handler); this light version does not
// reliably reproduce it, so it is a smoke test.)
import assert from "node:assert/strict";
import { deriveStreamEndpoints } from "../../src/zmq/mod.ts";
import { freeTcpBase, Peer } from "./_peer.ts";

const SCRIPT = (modUrl: string) => `
import { StreamSockets, ZmqContext } from ${JSON.stringify(modUrl)};
const ctx = new ZmqContext();
let seen = 0;
new StreamSockets(ctx, {
  specs: [Deno.args[0]],
  connect: false,
  instanceId: "condure",
  ipcFileMode: 0,
  onMessage: () => {
    if (seen++ === 0) setTimeout(() => { throw new Error("boom"); }, 30);
  },
});
`;

Deno.test("an uncaught error while a poll loop is in flight exits with code 1, not a crash", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "zmq-teardown-test-" });
  const modUrl = new URL("../../src/zmq/mod.ts", import.meta.url).href;
  Deno.writeTextFileSync(`${dir}/main.ts`, SCRIPT(modUrl));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const base = `tcp://127.0.0.1:${freeTcpBase()}`;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", `${dir}/main.ts`, base],
        stdout: "null",
        stderr: "null",
      }).spawn();
      await using _flood = Peer.start(dir, {
        kind: "PUB",
        endpoints: [deriveStreamEndpoints(base).in],
        noWait: true,
        flood: "condure T-flood",
      });
      const status = await child.status;
      assert.equal(status.signal, null, `killed by ${status.signal}`);
      assert.equal(status.code, 1);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
