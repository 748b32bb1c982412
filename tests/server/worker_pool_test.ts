import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/mod.ts";
import { PacketRoute, readBatch } from "../../src/server/batch.ts";
import { WorkerPool } from "../../src/server/worker_pool.ts";

function configIn(dir: string) {
  const r = parseCommandLine(["--workers", "2", "--tls-identities-dir", dir]);
  if (r.kind !== "run") throw new Error("bad test config");
  return r.config;
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("WorkerPool replaces a worker that dies and keeps the others serving", async () => {
  const dir = await Deno.makeTempDir();
  const echoed: number[] = [];
  const pool = new WorkerPool({
    config: configIn(dir),
    onPackets: (batch) =>
      readBatch(batch, (_kind, _id, payload) => echoed.push(payload[0]!)),
    moduleUrl: new URL("./_fixtures/crashing_worker.ts", import.meta.url),
  });
  try {
    const started = await pool.start();
    assert.deepEqual(started, { ok: true });
    await waitFor(() => pool.replacements === 1, "the replacement");
    for (const index of [0, 1]) {
      pool.out(index)!.add(PacketRoute.Stream, new Uint8Array([index + 10]));
    }
    pool.flush();
    await waitFor(() => echoed.length === 2, "echoes from both workers");
    assert.deepEqual(echoed.sort(), [10, 11]);
    await pool.stop(2000);
  } finally {
    pool.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});
