import assert from "node:assert/strict";
import { loadsFor } from "./_loads.ts";
import { parseOptions } from "./_options.ts";
import { summarize, summaryTable, wsIdleTable } from "./_report.ts";
import { errorCount, parseWrk } from "./_wrk.ts";
import { serverFlags } from "./_server.ts";
import { parseSClientBrief } from "./_tls.ts";
import { parseSTime } from "./_stime.ts";
import {
  echoAsLoad,
  parseWsEcho,
  parseWsIdle,
  parseWsIdleEnd,
} from "./ws_load.ts";

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

const ECHO_LINE =
  '{"mode":"echo","connections":100,"opened":100,"open_at_end":99,"size":32,"connect_s":0.009,"seconds":3.001,"messages":136044,"messages_per_s":45333.4,"p50_ms":1.891,"p90_ms":3.163,"p99_ms":6.958,"max_ms":17.200,"per_conn_min":1360,"per_conn_max":1361,"stalled":2,"errors":{"connect":0,"read":1,"write":0}}';

Deno.test("`parseWsEcho()` reads the ws client's echo report", () => {
  const r = parseWsEcho(ECHO_LINE);
  assert.equal(r.connections, 100);
  assert.equal(r.openAtEnd, 99);
  assert.equal(r.messages, 136044);
  assert.equal(r.messagesPerS, 45333.4);
  assert.equal(r.p50Ms, 1.891);
  assert.equal(r.p99Ms, 6.958);
  assert.equal(r.perConnMin, 1360);
  assert.equal(r.stalled, 2);
  assert.deepEqual(r.errors, { connect: 0, read: 1, write: 0 });
});

Deno.test("`parseWsEcho()` rejects other modes, missing fields and non-JSON", () => {
  assert.throws(() => parseWsEcho("not json"), SyntaxError);
  assert.throws(() => parseWsEcho("[1]"), SyntaxError);
  assert.throws(
    () => parseWsEcho(ECHO_LINE.replace('"mode":"echo"', '"mode":"idle"')),
    SyntaxError,
  );
  assert.throws(
    () => parseWsEcho(ECHO_LINE.replace('"p99_ms":6.958,', "")),
    /"p99_ms" is not a number/,
  );
  assert.throws(
    () => parseWsEcho(ECHO_LINE.replace('"messages":136044', '"messages":"1"')),
    SyntaxError,
  );
});

Deno.test("`echoAsLoad()` counts messages as requests and stalls as timeouts", () => {
  const r = parseWsEcho(
    ECHO_LINE.replace('"opened":100', '"opened":97').replace(
      '"connect":0',
      '"connect":1',
    ),
  );
  const load = echoAsLoad(r, { cpuSeconds: 1.5, wallSeconds: 3.2, output: "" });
  assert.equal(load.requests, 136044);
  assert.equal(load.rps, 45333.4);
  assert.equal(load.p99Ms, 6.958);
  assert.deepEqual(load.errors, { connect: 3, read: 1, write: 0, timeout: 2 });
  assert.equal(errorCount(load), 6);
  assert.equal(load.cpuSeconds, 1.5);
});

Deno.test("`parseWsIdle()` and `parseWsIdleEnd()` read the idle reports", () => {
  const r = parseWsIdle(
    '{"mode":"idle","connections":2000,"open":2000,"echoed":1999,"seconds":0.512,"p99_ms":3.100,"errors":{"connect":0,"read":1,"write":0}}',
  );
  assert.equal(r.open, 2000);
  assert.equal(r.echoed, 1999);
  assert.equal(r.errors.read, 1);
  assert.deepEqual(
    parseWsIdleEnd('{"mode":"idle-end","open":1998,"closed_by_server":2}'),
    { open: 1998, closedByServer: 2 },
  );
  assert.throws(() => parseWsIdleEnd('{"mode":"idle-end"}'), SyntaxError);
});

Deno.test("`parseSClientBrief()` reads protocol and cipher", () => {
  const text = "CONNECTION ESTABLISHED\nProtocol version: TLSv1.2\n" +
    "Ciphersuite: ECDHE-RSA-AES256-GCM-SHA384\nPeer certificate: CN = localhost\n";
  assert.deepEqual(parseSClientBrief(text), {
    protocol: "TLSv1.2",
    cipher: "ECDHE-RSA-AES256-GCM-SHA384",
  });
  assert.throws(() => parseSClientBrief("connect:errno=111"), SyntaxError);
});

Deno.test("`serverFlags()` adds a TLS listener with default-cert and the identities dir", () => {
  const flags = serverFlags(8443, {
    dir: "/tmp/d",
    workers: 1,
    maxconn: 100,
    mode: "stream",
    tlsDir: "/tmp/certs",
  });
  assert.deepEqual(flags.slice(0, 2), [
    "--listen",
    "127.0.0.1:8443,tls,default-cert=localhost",
  ]);
  assert.deepEqual(flags.slice(-2), ["--tls-identities-dir", "/tmp/certs"]);
});

Deno.test("`parseOptions()` knows the ws and tls modes and their default conns", () => {
  const ws = parseOptions(["--mode", "ws"]);
  assert.equal(ws.mode, "ws");
  assert.deepEqual(ws.conns, [100]);
  assert.equal(ws.wsSize, 32);
  assert.equal(ws.idleConns, 2000);
  assert.deepEqual(parseOptions(["--mode", "tls"]).conns, [50]);
  assert.deepEqual(parseOptions([]).conns, [50, 256]);
  assert.deepEqual(
    parseOptions(["--mode", "ws", "--conns", "10,20", "--idle-conns", "0"])
      .conns,
    [10, 20],
  );
  assert.throws(() => parseOptions(["--mode", "h2"]), TypeError);
  assert.throws(() => parseOptions(["--ws-size", "0"]), RangeError);
});

Deno.test("`loadsFor()` runs keep-alive, close and full handshakes over TLS, one load otherwise", () => {
  const ctx = { threads: 2, clkTck: 100, wsSize: 32 };
  assert.deepEqual(loadsFor("tls", ctx).map((l) => l.name), [
    "keep-alive",
    "close",
    "full handshake",
  ]);
  assert.equal(loadsFor("stream", ctx).length, 1);
  assert.throws(() => loadsFor("ws", ctx), TypeError);
  assert.equal(loadsFor("ws", { ...ctx, wsClient: "/bin/true" }).length, 1);
});

Deno.test("`summaryTable()` shows a load column and message units", () => {
  const wrk = (rps: number) => ({
    ...parseWrk(SAMPLE),
    rps,
    p99Ms: 2,
    requests: rps * 10,
    wallSeconds: 10,
    cpuSeconds: 1,
    non2xx: 0,
    errors: { connect: 0, read: 0, write: 0, timeout: 0 },
  });
  const base = {
    workers: 1,
    conns: 50,
    round: 1,
    serverCpuS: 5,
    handlerCpuS: 1,
    otherCpuS: 0,
  };
  const runs = [
    {
      ...base,
      server: "condure" as const,
      load: "keep-alive",
      wrk: wrk(40000),
    },
    { ...base, server: "deno" as const, load: "keep-alive", wrk: wrk(36000) },
    { ...base, server: "condure" as const, load: "close", wrk: wrk(3000) },
    { ...base, server: "deno" as const, load: "close", wrk: wrk(1500) },
  ];
  const cells = summarize(runs);
  assert.deepEqual(cells.map((c) => c.load), [
    "keep-alive",
    "keep-alive",
    "close",
    "close",
  ]);
  const table = summaryTable(cells, { unit: "msg", client: "ws client" });
  assert.match(table, /\| server \| load \| workers \| conns \| msg\/s/);
  assert.match(table, /ws client CPU/);
  assert.match(
    table,
    /\| ours \| keep-alive \| 1 \| 50 \| 36,000 .*\| 0\.90x \|/,
  );
  assert.match(table, /\| ours \| close \| 1 \| 50 \| 1,500 .*\| 0\.50x \|/);
});

Deno.test("`wsIdleTable()` shows RSS growth per idle connection and the ratio", () => {
  const table = wsIdleTable([
    {
      server: "condure",
      workers: 1,
      conns: 2000,
      openHalf: 1000,
      open: 2000,
      rssBeforeKiB: 25600,
      rssHalfKiB: 25600 + 1000 * 30,
      rssAfterKiB: 25600 + 1000 * 30 + 1000 * 27,
      closedByServer: 0,
    },
    {
      server: "deno",
      workers: 1,
      conns: 2000,
      openHalf: 1000,
      open: 2000,
      rssBeforeKiB: 160000,
      rssHalfKiB: 160000 + 1000 * 9,
      rssAfterKiB: 160000 + 2000 * 9,
      closedByServer: 0,
    },
  ]);
  assert.match(
    table,
    /\| condure \| 1 \| 2000\/2000 \| 25\.0 MiB \| .* \| 27\.0 \| 28\.5 \| 0 \| {2}\|/,
  );
  assert.match(
    table,
    /\| ours \| 1 \| 2000\/2000 \| .* \| 9\.0 \| 9\.0 \| 0 \| 0\.33x \|/,
  );
});

Deno.test("parseSTime() reads s_time's summary line and rejects other output", () => {
  const out = "Collecting connection statistics for 5 seconds\n" +
    "tttt\n\n713 connections in 0.46s; 1550.00 connections/user sec, bytes read 54901\n" +
    "713 connections in 6 real seconds, 77 bytes read per connection\n";
  assert.deepEqual(parseSTime(out), {
    connections: 713,
    seconds: 6,
    bytesPerConnection: 77,
  });
  assert.equal(
    parseSTime("connect: Connection refused\nconnect:errno=111\n"),
    null,
  );
});
