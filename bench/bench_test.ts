import assert from "node:assert/strict";
import { summarize, summaryTable } from "./_report.ts";
import { errorCount, parseWrk } from "./_wrk.ts";
import { serverFlags } from "./_server.ts";

const SAMPLE = `Running 3s test @ http://127.0.0.1:18080/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.22ms  373.32us   7.31ms   92.06%
    Req/Sec    20.72k     2.36k   26.23k    86.67%
  Latency Distribution
     50%  850.00us
     75%    1.27ms
     90%    1.44ms
     99%    2.83ms
  123769 requests in 3.00s, 9.09MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:  41221.61
Transfer/sec:      3.03MB
`;

Deno.test("`parseWrk()` reads totals, percentiles in ms and errors", () => {
  const r = parseWrk(SAMPLE);
  assert.equal(r.requests, 123769);
  assert.equal(r.seconds, 3);
  assert.equal(r.rps, 41221.61);
  assert.equal(r.p50Ms, 0.85);
  assert.equal(r.p99Ms, 2.83);
  assert.equal(r.non2xx, 5);
  assert.deepEqual(r.errors, { connect: 0, read: 2, write: 0, timeout: 1 });
  assert.equal(errorCount(r), 8);
});

Deno.test("`parseWrk()` rejects output without a summary", () => {
  assert.throws(
    () => parseWrk("unable to connect to 127.0.0.1:1"),
    SyntaxError,
  );
});

Deno.test("`summarize()` averages rounds and `summaryTable()` shows ours/condure ratios", () => {
  const wrk = (rps: number, p99Ms: number) => ({
    ...parseWrk(
      SAMPLE.replace(
        "Socket errors: connect 0, read 2, write 0, timeout 1\n",
        "",
      )
        .replace("  Non-2xx or 3xx responses: 5\n", ""),
    ),
    rps,
    p99Ms,
    requests: rps * 10,
    wallSeconds: 10,
    cpuSeconds: 4,
  });
  const base = {
    workers: 1,
    conns: 50,
    serverCpuS: 5,
    handlerCpuS: 1,
    otherCpuS: 0,
  };
  const cells = summarize([
    { ...base, server: "condure", round: 1, wrk: wrk(40000, 2) },
    { ...base, server: "deno", round: 1, wrk: wrk(30000, 4) },
    { ...base, server: "condure", round: 2, wrk: wrk(60000, 4) },
    { ...base, server: "deno", round: 2, wrk: wrk(30000, 2) },
  ]);
  assert.equal(cells.length, 2);
  assert.equal(cells[0]!.server, "condure");
  assert.equal(cells[0]!.rps, 50000);
  assert.equal(cells[0]!.p99Ms, 3);
  assert.equal(cells[0]!.serverUsPerReq, 10 * 1e6 / 1e6);
  assert.equal(cells[0]!.errors, 0);
  const table = summaryTable(cells);
  assert.match(table, /\| ours \| 1 \| 50 \| 30,000 .*\| 0\.60x \| 1\.00x \|/);
});

Deno.test("`serverFlags()` uses Condure's flags for stream and req mode", () => {
  const opts = { dir: "/tmp/d", workers: 2, maxconn: 20000 };
  assert.deepEqual(serverFlags(8000, { ...opts, mode: "stream" }), [
    "--listen",
    "127.0.0.1:8000",
    "--zclient-stream",
    "ipc:///tmp/d/client",
    "--workers",
    "2",
    "--stream-maxconn",
    "20000",
    "--log-level",
    "1",
  ]);
  const req = serverFlags(8000, { ...opts, mode: "req" });
  assert.deepEqual(req.slice(0, 6), [
    "--listen",
    "127.0.0.1:8000,req",
    "--zclient-req",
    "ipc:///tmp/d/client",
    "--req-maxconn",
    "20000",
  ]);
});
