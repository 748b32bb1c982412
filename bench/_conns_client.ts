/**
 * One client process of the connection-scale benchmark (`bench/conns.ts` starts several: one
 * process may hold fewer than 20000 open files). It opens `count` keep-alive connections to
 * `127.0.0.1:<port>` from the given source addresses, makes one request on each (HTTP `GET /`
 * or a WebSocket upgrade) and then keeps them idle; HTTP connections get a fresh `GET /` every
 * `refreshMs` so that the server's 60 s idle timeout does not close them mid-measurement.
 *
 * Run as `deno run --allow-all bench/_conns_client.ts '<json ClientConfig>'`; it prints one JSON
 * line when all connections are open, then answers commands read from stdin, one per line:
 * `probe <k>` (one request/echo on each of `k` random idle connections, latencies back),
 * `count` (connections still open), `exit`.
 *
 * @module
 */

import net from "node:net";
import { Buffer } from "node:buffer";

/** Settings of one client process. */
export interface ClientConfig {
  /** Server port on 127.0.0.1. */
  port: number;
  /** Source addresses to spread connections over (127.0.0.x). */
  sources: string[];
  /** Connections to open. */
  count: number;
  /**
   * What each connection is: an idle keep-alive HTTP connection, an idle WebSocket, or a
   * slowloris client (a request head that never ends, one byte every `dripMs`).
   */
  kind: "http" | "ws" | "slowloris";
  /** HTTP: re-request on a connection idle this long (0 = never). */
  refreshMs: number;
  /** Slowloris: milliseconds between two bytes of one connection (default 3000). */
  dripMs?: number;
}

/** The first line a client prints. */
export interface ReadyReport {
  type: "ready";
  open: number;
  failed: number;
  ms: number;
}

/** Answer to `probe <k>`. */
export interface ProbeReport {
  type: "probe";
  latenciesMs: number[];
  errors: number;
}

/** Answer to `count`. */
export interface CountReport {
  type: "count";
  open: number;
  closedByServer: number;
  refreshes: number;
}

const GET = Buffer.from("GET / HTTP/1.1\r\nHost: bench\r\n\r\n");
const SLOW_START = Buffer.from("GET / HTTP/1.1\r\nHost: slow\r\nX-Slow: ");
const SLOW_BYTE = Buffer.from("x");
const WS_UPGRADE = Buffer.from(
  "GET /ws HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
);
/** Masked text frame "ping" (mask 0x01020304). */
const WS_PING_TEXT = Buffer.from([
  0x81,
  0x84,
  1,
  2,
  3,
  4,
  0x70 ^ 1,
  0x69 ^ 2,
  0x6e ^ 3,
  0x67 ^ 4,
]);

class Conn {
  readonly socket: net.Socket;
  #buf: Buffer = Buffer.alloc(0);
  #want: ((ok: boolean) => void) | null = null;
  #mode: "http" | "ws-head" | "ws-frame" = "http";
  lastUse = performance.now();
  readonly jitter = Math.random() * 5000;
  open = true;
  busy = false;

  constructor(socket: net.Socket, onClose: (c: Conn) => void) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
      this.#check();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.open = false;
      this.#want?.(false);
      this.#want = null;
      onClose(this);
    });
  }

  /** Sends `data` and resolves when the expected answer arrived (false: closed). */
  exchange(
    data: Buffer,
    mode: "http" | "ws-head" | "ws-frame",
  ): Promise<boolean> {
    this.busy = true;
    this.#mode = mode;
    this.#buf = Buffer.alloc(0);
    return new Promise((resolve) => {
      this.#want = (ok) => {
        this.busy = false;
        this.lastUse = performance.now();
        resolve(ok);
      };
      this.socket.write(data);
    });
  }

  #check(): void {
    if (this.#want === null) return;
    const b = this.#buf;
    let done = false;
    if (this.#mode === "ws-frame") {
      done = b.length >= 2 && b.length >= 2 + (b[1]! & 0x7f);
    } else {
      const end = b.indexOf("\r\n\r\n");
      if (end >= 0) {
        if (this.#mode === "ws-head") done = true;
        else {
          const m = /content-length:\s*(\d+)/i.exec(
            b.subarray(0, end).toString("latin1"),
          );
          done = b.length >= end + 4 + (m ? Number(m[1]) : 0);
        }
      }
    }
    if (done) {
      const w = this.#want;
      this.#want = null;
      this.#buf = Buffer.alloc(0);
      w(true);
    }
  }
}

function connect(port: number, source: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress: source });
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

async function main(): Promise<void> {
  const cfg = JSON.parse(Deno.args[0] ?? "{}") as ClientConfig;
  const conns: Conn[] = [];
  let closedByServer = 0;
  let failed = 0;
  let refreshes = 0;
  let exiting = false;
  const t0 = performance.now();
  const onClose = () => {
    if (!exiting) closedByServer++;
  };
  const request = (c: Conn) =>
    cfg.kind === "http"
      ? c.exchange(GET, "http")
      : c.exchange(WS_PING_TEXT, "ws-frame");

  let next = 0;
  const opener = async () => {
    while (next < cfg.count) {
      const i = next++;
      try {
        const s = await connect(
          cfg.port,
          cfg.sources[i % cfg.sources.length]!,
        );
        const c = new Conn(s, onClose);
        if (cfg.kind === "slowloris") {
          s.write(SLOW_START);
          conns.push(c);
          continue;
        }
        const ok = cfg.kind === "http"
          ? await c.exchange(GET, "http")
          : await c.exchange(WS_UPGRADE, "ws-head");
        if (ok) conns.push(c);
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: 128 }, opener));
  const ready: ReadyReport = {
    type: "ready",
    open: conns.filter((c) => c.open).length,
    failed,
    ms: Math.round(performance.now() - t0),
  };
  console.log(JSON.stringify(ready));

  // slowloris: every 100 ms, one byte on the next slice of the connections
  let drip = 0;
  const dripper = cfg.kind === "slowloris"
    ? setInterval(() => {
      const slices = Math.max(1, Math.round((cfg.dripMs ?? 3000) / 100));
      for (let i = drip % slices; i < conns.length; i += slices) {
        const c = conns[i]!;
        if (c.open) c.socket.write(SLOW_BYTE);
      }
      drip++;
    }, 100)
    : undefined;
  const refresher = setInterval(() => {
    if (cfg.kind !== "http" || cfg.refreshMs <= 0) return;
    const now = performance.now();
    for (const c of conns) {
      // spread over 5 s so that connections opened together do not re-request together
      if (c.open && !c.busy && now - c.lastUse > cfg.refreshMs + c.jitter) {
        refreshes++;
        void request(c);
      }
    }
  }, 1000);

  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let pending = "";
  for await (const chunk of lines) {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      const [cmd, arg] = line.split(" ");
      if (cmd === "probe") {
        const k = Number(arg ?? "10");
        const idle = conns.filter((c) => c.open && !c.busy);
        const picked: Conn[] = [];
        for (let i = 0; i < k && idle.length > 0; i++) {
          const j = Math.floor(Math.random() * idle.length);
          picked.push(idle[j]!);
          idle[j] = idle[idle.length - 1]!;
          idle.pop();
        }
        const latenciesMs: number[] = [];
        let errors = 0;
        // a few at a time, as independent clients would
        for (let i = 0; i < picked.length; i += 8) {
          await Promise.all(
            picked.slice(i, i + 8).map(async (c) => {
              const t = performance.now();
              const timer = setTimeout(() => c.socket.destroy(), 10_000);
              const ok = await request(c);
              clearTimeout(timer);
              if (ok) latenciesMs.push(performance.now() - t);
              else errors++;
            }),
          );
        }
        const r: ProbeReport = { type: "probe", latenciesMs, errors };
        console.log(JSON.stringify(r));
      } else if (cmd === "count") {
        const r: CountReport = {
          type: "count",
          open: conns.filter((c) => c.open).length,
          closedByServer,
          refreshes,
        };
        console.log(JSON.stringify(r));
      } else if (cmd === "exit") {
        exiting = true;
        clearInterval(refresher);
        clearInterval(dripper);
        for (const c of conns) c.socket.destroy();
        Deno.exit(0);
      }
    }
  }
  exiting = true;
  clearInterval(refresher);
  clearInterval(dripper);
  for (const c of conns) c.socket.destroy();
  Deno.exit(0);
}

if (import.meta.main) await main();
