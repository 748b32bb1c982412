/**
 * Where the memory of an idle connection goes, inside one worker: runs a {@linkcode WorkerServer}
 * in this process (a fake handler answers its request packets through the worker link), holds
 * N idle keep-alive HTTP (or WebSocket) connections from client processes, and compares
 * `Deno.memoryUsage()`, VmRSS and two V8 heap snapshots (before/after) by constructor.
 *
 *     deno run --allow-all --expose-gc bench/_conns_heap.ts [N=5000] [http|ws] [--snapshot]
 *
 * (`--v8-flags=--expose-gc` lets it collect garbage before each reading.)
 *
 * @module
 */

import v8 from "node:v8";
import { parseCommandLine } from "../src/cli/mod.ts";
import { BatchWriter, PacketRoute, readBatch } from "../src/server/batch.ts";
import { WorkerServer } from "../src/server/worker_server.ts";
import { decode, encode, type TnetMap } from "../src/tnetstring/mod.ts";
import { ClientFleet } from "./_conns_clients.ts";
import { rssKiB } from "./_conns_server.ts";
import { freePort } from "./_proc.ts";

const enc = new TextEncoder();

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

interface Agg {
  count: number;
  bytes: number;
}

/** Totals by "type:name" of a heap snapshot file. */
function snapshotTotals(path: string): Map<string, Agg> {
  const snap = JSON.parse(Deno.readTextFileSync(path));
  const meta = snap.snapshot.meta;
  const fields: string[] = meta.node_fields;
  const types: string[] = meta.node_types[0];
  const strings: string[] = snap.strings;
  const nodes: number[] = snap.nodes;
  const w = fields.length;
  const iType = fields.indexOf("type");
  const iName = fields.indexOf("name");
  const iSize = fields.indexOf("self_size");
  const out = new Map<string, Agg>();
  for (let i = 0; i < nodes.length; i += w) {
    const type = types[nodes[i + iType]!]!;
    let name = strings[nodes[i + iName]!]!;
    if (
      type === "string" || type === "concatenated string" ||
      type === "sliced string"
    ) {
      name = "(strings)";
    } else if (type === "code") name = "(code)";
    else if (name.length > 60) name = name.slice(0, 60) + "…";
    const key = `${type}:${name}`;
    const a = out.get(key) ?? { count: 0, bytes: 0 };
    a.count++;
    a.bytes += nodes[i + iSize]!;
    out.set(key, a);
  }
  return out;
}

async function main(): Promise<void> {
  const n = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? "5000");
  const kind = Deno.args.includes("ws") ? "ws" : "http";
  const snapshots = Deno.args.includes("--snapshot");
  const port = freePort();
  const r = parseCommandLine([
    "--listen",
    `127.0.0.1:${port}`,
    "--stream-maxconn",
    "20000",
  ]);
  if (r.kind !== "run") throw new Error(r.stdout + r.stderr);
  // fake handler: answers every request packet at once
  let server: WorkerServer | null = null;
  const handlerFrom = enc.encode("heaphandler");
  const reply = (payload: Uint8Array) => {
    if (payload[0] !== 0x54) return;
    const m = decode(payload, 1).value as TnetMap;
    if (!m.has("method")) return; // only requests
    const ws = new TextDecoder().decode(m.get("uri") as Uint8Array).startsWith(
      "ws",
    );
    const resp: TnetMap = new Map([
      ["from", handlerFrom],
      ["id", m.get("id")!],
      ["seq", 0],
      ["code", ws ? 101 : 200],
      ["reason", enc.encode(ws ? "Switching Protocols" : "OK")],
      [
        "headers",
        ws ? [] : [[enc.encode("Content-Type"), enc.encode("text/plain")]],
      ],
      ["body", ws ? new Uint8Array(0) : enc.encode("hello world\n")],
      ...(ws ? [["credits", 65536] as [string, number]] : []),
    ]);
    const body = encode(resp);
    const out = new Uint8Array(body.length + 1);
    out[0] = 0x54;
    out.set(body, 1);
    const w = new BatchWriter();
    w.add(PacketRoute.Stream, out);
    const batch = w.take()!;
    queueMicrotask(() => server!.receiveBatch(batch));
  };
  server = new WorkerServer(r.config, 0, {
    sendBatch: (batch) =>
      readBatch(batch, (route, _identity, payload) => {
        if (route === PacketRoute.Push) reply(payload);
      }),
  });
  server.listen();

  // warm-up: a few connections so code is compiled and pools exist
  const warm = new ClientFleet({ port, count: 200, kind, refreshMs: 0 });
  await warm.open();
  await warm.close();
  await new Promise((r) => setTimeout(r, 500));

  gc();
  const m0 = Deno.memoryUsage();
  const rss0 = rssKiB(Deno.pid);
  if (snapshots) v8.writeHeapSnapshot("/tmp/conns-heap-0.heapsnapshot");

  const fleet = new ClientFleet({ port, count: n, kind, refreshMs: 40_000 });
  const ready = await fleet.open();
  await new Promise((r) => setTimeout(r, 1000));
  gc();
  const m1 = Deno.memoryUsage();
  const rss1 = rssKiB(Deno.pid);
  if (snapshots) v8.writeHeapSnapshot("/tmp/conns-heap-1.heapsnapshot");
  const per = (a: number, b: number) => ((b - a) / n).toFixed(0);
  console.log(
    `${kind}: ${ready.open} idle connections (failed ${ready.failed}), server conns ${server.connectionCount}`,
  );
  console.log(
    `per connection (bytes): rss ${per(rss0 * 1024, rss1 * 1024)}, ` +
      `heapUsed ${per(m0.heapUsed, m1.heapUsed)}, heapTotal ${
        per(m0.heapTotal, m1.heapTotal)
      }, ` +
      `external ${per(m0.external, m1.external)}`,
  );
  if (snapshots) {
    const a = snapshotTotals("/tmp/conns-heap-0.heapsnapshot");
    const b = snapshotTotals("/tmp/conns-heap-1.heapsnapshot");
    const rows: Array<[string, number, number]> = [];
    for (const [k, v] of b) {
      const o = a.get(k) ?? { count: 0, bytes: 0 };
      const dc = v.count - o.count;
      const db = v.bytes - o.bytes;
      if (Math.abs(db) >= n * 4) rows.push([k, dc / n, db / n]);
    }
    rows.sort((x, y) => y[2] - x[2]);
    let total = 0;
    for (const [, , db] of rows) total += db;
    console.log("| type:name | objects per conn | bytes per conn |");
    console.log("|:--|--:|--:|");
    for (const [k, dc, db] of rows.slice(0, 40)) {
      console.log(
        `| ${k.replace(/\|/g, "\\|")} | ${dc.toFixed(2)} | ${db.toFixed(0)} |`,
      );
    }
    console.log(`| (total of rows ≥ 4 B/conn) | | ${total.toFixed(0)} |`);
  }
  await fleet.close();
  server.stop();
  await new Promise((r) => setTimeout(r, 200));
  Deno.exit(0);
}

if (import.meta.main) await main();
