/**
 * The servers under test (Condure and ours), each started with the same
 * Condure flags, plus its handler, and probed until they answer.
 *
 * @module
 */

import { type HandlerMode, startHandler } from "./_handler.ts";
import { atStopAll, freePort, Proc } from "./_proc.ts";
import { TLS_CERT_NAME, type TlsIdentities } from "./_tls.ts";

/** Which implementation. */
export type ServerKind = "condure" | "deno";

/** Where the implementations live. */
export interface ServerPaths {
  /** Condure binary. */
  condure: string;
  /** Our main.ts. */
  main: string;
}

/** Options of {@linkcode startServer}. */
export interface StartServerOptions {
  /** `--workers`. */
  workers: number;
  /** Listener mode. */
  mode: HandlerMode;
  /** `--stream-maxconn` (and `--req-maxconn` in req mode). */
  maxconn: number;
  /** Handler binary. */
  handlerBin: string;
  /** Implementation paths. */
  paths: ServerPaths;
  /** How long to wait for the first good response. */
  startTimeoutMs: number;
  /** Serve TLS with these identities (`default-cert=localhost`). */
  tls?: TlsIdentities;
}

/** A running server with its handler. */
export interface RunningServer {
  kind: ServerKind;
  workers: number;
  port: number;
  url: string;
  dir: string;
  server: Proc;
  handler: Proc;
  /** Condure flags the server was started with. */
  flags: string[];
}

/** Options of {@linkcode serverFlags}. */
export interface ServerFlagsOptions {
  /** Temp dir holding the ipc endpoints. */
  dir: string;
  workers: number;
  mode: HandlerMode;
  maxconn: number;
  /** With a TLS identities dir: a TLS listener with `default-cert=localhost`. */
  tlsDir?: string;
}

/**
 * The Condure flags used for a benchmark server.
 *
 * @example
 * ```ts ignore
 * serverFlags(8000, { dir: "/tmp/d", workers: 1, mode: "stream", maxconn: 20000 });
 * ```
 */
export function serverFlags(
  port: number,
  options: ServerFlagsOptions,
): string[] {
  const zmq = `ipc://${options.dir}/client`;
  const tls = options.tlsDir === undefined
    ? ""
    : `,tls,default-cert=${TLS_CERT_NAME}`;
  const tlsFlags = options.tlsDir === undefined
    ? []
    : ["--tls-identities-dir", options.tlsDir];
  const common = [
    "--workers",
    String(options.workers),
    "--stream-maxconn",
    String(options.maxconn),
    "--log-level",
    "1",
    ...tlsFlags,
  ];
  if (options.mode === "req") {
    return [
      "--listen",
      `127.0.0.1:${port},req${tls}`,
      "--zclient-req",
      zmq,
      "--req-maxconn",
      String(options.maxconn),
      ...common,
    ];
  }
  return [
    "--listen",
    `127.0.0.1:${port}${tls}`,
    "--zclient-stream",
    zmq,
    ...common,
  ];
}

/**
 * Starts server + handler and waits until `GET /` returns the handler's
 * `hello world`. Throws (with the server's log) if it does not.
 */
export async function startServer(
  kind: ServerKind,
  options: StartServerOptions,
): Promise<RunningServer> {
  const dir = await Deno.makeTempDir({ prefix: `cdbench-${kind}-` });
  atStopAll(() => Deno.remove(dir, { recursive: true }).catch(() => {})); // on Ctrl-C
  const port = freePort();
  const flags = serverFlags(port, {
    dir,
    workers: options.workers,
    mode: options.mode,
    maxconn: options.maxconn,
    ...(options.tls === undefined ? {} : { tlsDir: options.tls.dir }),
  });
  const logFile = `${dir}/server.log`;
  const server = kind === "condure"
    ? Proc.start(options.paths.condure, flags, { logFile })
    : Proc.start(
      Deno.execPath(),
      ["run", "--unstable-net", "--allow-all", options.paths.main, ...flags],
      { logFile, cwd: new URL(".", `file://${options.paths.main}`).pathname },
    );
  const handler = startHandler(options.handlerBin, options.mode, {
    spec: `ipc://${dir}/client`,
    logFile: `${dir}/handler.log`,
  });
  const running: RunningServer = {
    kind,
    workers: options.workers,
    port,
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}/`,
    dir,
    server,
    handler,
    flags,
  };
  try {
    await waitReady(running, {
      timeoutMs: options.startTimeoutMs,
      ...(options.tls === undefined ? {} : { certPem: options.tls.certPem }),
    });
  } catch (e) {
    await stopServer(running);
    throw e;
  }
  return running;
}

async function waitReady(
  s: RunningServer,
  options: { timeoutMs: number; certPem?: string },
): Promise<void> {
  const timeoutMs = options.timeoutMs;
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (s.server.exited) {
      throw new Error(
        `${s.kind} exited during startup (code ${s.server.exited.code}), log:\n` +
          s.server.logTail(),
      );
    }
    if (s.handler.exited) {
      throw new Error(
        `handler exited during startup, log:\n${s.handler.logTail()}`,
      );
    }
    last = await probe(s.port, options.certPem);
    if (last === "ok") return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${s.kind} did not answer GET / within ${timeoutMs} ms (last: ${last}), log:\n` +
      s.server.logTail(),
  );
}

/**
 * One `GET /` with `Connection: close` (over TLS trusting `certPem` if given);
 * "ok" if it got the handler's response.
 */
async function probe(port: number, certPem?: string): Promise<string> {
  let conn: Deno.Conn | undefined;
  const timer = setTimeout(() => conn?.close(), 2000);
  try {
    conn = certPem === undefined
      ? await Deno.connect({ hostname: "127.0.0.1", port })
      : await Deno.connectTls({
        hostname: "127.0.0.1",
        port,
        caCerts: [certPem],
      });
    await conn.write(
      new TextEncoder().encode(
        "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n",
      ),
    );
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (e) {
        // a TLS peer that closes without close_notify: keep what arrived
        if (chunks.length > 0) break;
        throw e;
      }
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const text = new TextDecoder().decode(
      chunks.reduce((a, b) => new Uint8Array([...a, ...b]), new Uint8Array()),
    );
    if (
      text.startsWith("HTTP/1.1 200 ") && text.endsWith("\r\n\r\nhello world\n")
    ) return "ok";
    return `unexpected response ${JSON.stringify(text.slice(0, 200))}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch { /* closed by the timer */ }
  }
}

/** What {@linkcode stopServer} found in the logs. */
export interface StopReport {
  /** The handler's exit line ("handler: N requests, M other"). */
  handler: string;
  /** The server's log (warnings/errors at --log-level 1), last lines. */
  serverLog: string;
}

/** Stops handler and server and removes the temp dir. */
export async function stopServer(s: RunningServer): Promise<StopReport> {
  await s.server.stop(5000); // first, so that its shutdown cancels reach the handler
  await s.handler.stop();
  const report = {
    handler: s.handler.logTail(1),
    serverLog: s.server.logTail(10),
  };
  await Deno.remove(s.dir, { recursive: true }).catch(() => {});
  return report;
}
