/**
 * The ZHTTP handler of the connection-scale, soak and slowloris benchmarks (run as its own
 * process: `deno run --allow-all bench/_conns_handler.ts <base-spec> [name]`). Unlike the fast
 * native handler (bench/handler.c) it speaks the whole stream protocol:
 *
 * - `GET /…` → `200 hello world\n`;
 * - `GET /stream?n=<bytes>` → a response of `n` bytes sent as many packets, paced by the
 *   server's credits;
 * - a request with a body (`more`) → credits until the body ends, then `200 got <bytes>\n`;
 * - `ws://…` → accepted (101); text/binary messages are echoed, pings answered, closes
 *   returned;
 * - keep-alives every 20 s for every session it holds (WebSocket sessions live for long).
 *
 * On SIGTERM it closes its request socket (no new requests), finishes what it holds for up to
 * 2 s and exits 0, printing `handler: <requests> requests, <other> other packets`.
 *
 * @module
 */

import {
  decode,
  encode,
  type TnetMap,
  type TnetValue,
} from "../src/tnetstring/mod.ts";
import { poll, POLLIN, SocketType, ZmqContext } from "../src/zmq/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const KEEP_ALIVE_MS = 20_000;
const CHUNK = 4096;
const UPLOAD_CREDITS = 65_536;
const HELLO = enc.encode("hello world\n");
const TEXT_PLAIN = [[enc.encode("Content-Type"), enc.encode("text/plain")]];

interface Session {
  id: Uint8Array;
  key: string;
  /** Address of the server (the `from` of its packets). */
  addr: string;
  seq: number;
  kind: "stream" | "upload" | "ws";
  /** Body bytes the server can take (credits it gave us). */
  room: number;
  /** Stream: bytes still to send. */
  left: number;
  /** Upload: body bytes received. */
  got: number;
  lastSent: number;
}

function main(): void {
  const base = Deno.args[0];
  if (base === undefined) {
    console.error("usage: _conns_handler.ts <base-spec> [name]");
    Deno.exit(2);
  }
  const name = enc.encode(Deno.args[1] ?? `connsbench.${Deno.pid}`);
  const ctx = new ZmqContext();
  const pull = ctx.socket(SocketType.PULL);
  pull.connect(`${base}-out`);
  const dealer = ctx.socket(SocketType.DEALER);
  dealer.setIdentity(name);
  dealer.connect(`${base}-out-stream`);
  const pub = ctx.socket(SocketType.PUB);
  // a PUB socket drops silently at its high-water mark: bursts of thousands of responses
  // (every idle connection re-requesting at once) must not be lost here
  pub.setSndHwm(1_000_000);
  pub.connect(`${base}-in`);

  const sessions = new Map<string, Session>();
  let requests = 0;
  let other = 0;
  let stopping = false;
  let pullOpen = true;

  const send = (s: Session, fields: Array<[string, TnetValue]>) => {
    const m: TnetMap = new Map<string, TnetValue>([
      ["from", name],
      ["id", s.id],
      ["seq", s.seq++],
      ...fields,
    ]);
    const body = encode(m);
    const prefix = enc.encode(`${s.addr} T`);
    const out = new Uint8Array(prefix.length + body.length);
    out.set(prefix);
    out.set(body, prefix.length);
    s.lastSent = performance.now();
    // PUB never blocks: a full queue drops, which the benchmark would see as a stall
    pub.trySend([out]);
  };

  const pump = (s: Session) => {
    while (s.left > 0 && s.room > 0) {
      const n = Math.min(s.left, s.room, CHUNK);
      s.left -= n;
      s.room -= n;
      const body = new Uint8Array(n).fill(0x61);
      send(s, s.left > 0 ? [["body", body], ["more", true]] : [["body", body]]);
    }
    if (s.left === 0) sessions.delete(s.key);
  };

  const onRequest = (m: TnetMap) => {
    const id = m.get("id");
    const from = m.get("from");
    if (!(id instanceof Uint8Array) || !(from instanceof Uint8Array)) return;
    requests++;
    const uri = text(m.get("uri"));
    const s: Session = {
      id,
      key: dec.decode(id),
      addr: dec.decode(from),
      seq: 0,
      kind: "stream",
      room: typeof m.get("credits") === "number"
        ? m.get("credits") as number
        : 0,
      left: 0,
      got: 0,
      lastSent: 0,
    };
    const body = m.get("body");
    if (uri.startsWith("ws")) {
      s.kind = "ws";
      sessions.set(s.key, s);
      send(s, [["code", 101], ["reason", enc.encode("Switching Protocols")], [
        "credits",
        UPLOAD_CREDITS,
      ]]);
      return;
    }
    if (m.get("more") === true) {
      s.kind = "upload";
      s.got = body instanceof Uint8Array ? body.length : 0;
      sessions.set(s.key, s);
      send(s, [["type", enc.encode("credit")], ["credits", UPLOAD_CREDITS]]);
      return;
    }
    const q = /[?&]n=(\d+)/.exec(uri);
    if (q !== null && uri.includes("/stream")) {
      const total = Number(q[1]);
      const first = Math.min(total, s.room, CHUNK);
      s.left = total - first;
      s.room -= first;
      sessions.set(s.key, s);
      send(s, [
        ["code", 200],
        ["reason", enc.encode("OK")],
        ["headers", [[
          enc.encode("Content-Length"),
          enc.encode(String(total)),
        ]]],
        ["body", new Uint8Array(first).fill(0x61)],
        ...(s.left > 0 ? [["more", true] as [string, TnetValue]] : []),
      ]);
      pump(s);
      return;
    }
    send(s, [["code", 200], ["reason", enc.encode("OK")], [
      "headers",
      TEXT_PLAIN,
    ], ["body", HELLO]]);
  };

  const onStreamPacket = (m: TnetMap) => {
    const id = m.get("id");
    if (!(id instanceof Uint8Array)) {
      other++;
      return;
    }
    const s = sessions.get(dec.decode(id));
    if (s === undefined) {
      other++;
      return;
    }
    const type = text(m.get("type"));
    const credits = m.get("credits");
    const body = m.get("body");
    switch (type) {
      case "credit":
        if (typeof credits === "number") s.room += credits;
        if (s.kind === "stream") pump(s);
        return;
      case "keep-alive":
        return;
      case "cancel":
      case "error":
        sessions.delete(s.key);
        return;
      case "ping":
        send(s, [["type", enc.encode("pong")], [
          "body",
          body instanceof Uint8Array ? body : new Uint8Array(0),
        ]]);
        return;
      case "close":
        send(s, [["type", enc.encode("close")]]);
        sessions.delete(s.key);
        return;
      case "": {
        const data = body instanceof Uint8Array ? body : new Uint8Array(0);
        if (s.kind === "upload") {
          s.got += data.length;
          if (m.get("more") === true) {
            if (data.length > 0) {
              send(s, [["type", enc.encode("credit")], [
                "credits",
                data.length,
              ]]);
            }
            return;
          }
          sessions.delete(s.key);
          send(s, [["code", 200], ["reason", enc.encode("OK")], [
            "headers",
            TEXT_PLAIN,
          ], ["body", enc.encode(`got ${s.got}\n`)]]);
          return;
        }
        if (s.kind === "ws") {
          const out: Array<[string, TnetValue]> = [["body", data], [
            "credits",
            data.length,
          ]];
          const ct = m.get("content-type");
          if (ct instanceof Uint8Array) out.push(["content-type", ct]);
          if (m.get("more") === true) out.push(["more", true]);
          send(s, out);
        }
        return;
      }
      default:
        other++;
    }
  };

  const keepAlives = setInterval(() => {
    const now = performance.now();
    for (const s of sessions.values()) {
      if (now - s.lastSent >= KEEP_ALIVE_MS) {
        send(s, [["type", enc.encode("keep-alive")]]);
      }
    }
  }, 1000);

  let deadline = Infinity;
  Deno.addSignalListener("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    deadline = performance.now() + 2000;
  });

  const loop = async () => {
    while (!stopping || performance.now() < deadline) {
      if (stopping && pullOpen) {
        // drain what was already pushed to us, then stop taking requests
        for (let f = pull.tryReceive(); f !== null; f = pull.tryReceive()) {
          onRequest(parse(f[0]!));
        }
        pull.close();
        pullOpen = false;
      }
      if (stopping && sessions.size === 0) break;
      const items = pullOpen
        ? [{ socket: pull, events: POLLIN }, { socket: dealer, events: POLLIN }]
        : [{ socket: dealer, events: POLLIN }];
      await poll(items, 100);
      if (pullOpen) {
        for (let f = pull.tryReceive(); f !== null; f = pull.tryReceive()) {
          onRequest(parse(f[0]!));
        }
      }
      for (let f = dealer.tryReceive(); f !== null; f = dealer.tryReceive()) {
        onStreamPacket(parse(f.at(-1)!));
      }
    }
    clearInterval(keepAlives);
    console.error(`handler: ${requests} requests, ${other} other packets`);
    if (pullOpen) pull.close();
    dealer.close();
    pub.close();
    ctx.close();
    Deno.exit(0);
  };
  void loop();
}

function parse(payload: Uint8Array): TnetMap {
  if (payload[0] !== 0x54) return new Map();
  try {
    const v = decode(payload, 1).value;
    return v instanceof Map ? v as TnetMap : new Map();
  } catch {
    return new Map();
  }
}

function text(v: TnetValue | undefined): string {
  return v instanceof Uint8Array ? dec.decode(v) : "";
}

if (import.meta.main) main();
