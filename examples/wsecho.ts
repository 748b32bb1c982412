// WebSocket echo handler (the Deno twin of wsecho.py): accepts every WebSocket, echoes text
// and binary messages, answers pings and closes.
//
//   deno task start --listen 8000 --zclient-stream ipc://client
//   deno run --allow-all examples/wsecho.ts [ipc://client]
//   then connect a WebSocket client to ws://localhost:8000/
//
// Plain HTTP requests get a 400. Each echoed packet gives back, as credits, the bytes we
// received, so the client can keep sending.

import type { TnetMap } from "../src/tnetstring/mod.ts";
import { poll, POLLIN, SocketType, ZmqContext } from "../src/zmq/mod.ts";
import { buildZhttp, parseZhttp, send, text } from "./handler_kit.ts";

const base = Deno.args[0] ?? "ipc://client";
const enc = new TextEncoder();
const instanceId = enc.encode(`wsecho.${Deno.pid}`);

using ctx = new ZmqContext();
using inSock = ctx.socket(SocketType.PULL);
inSock.connect(`${base}-out`);
using inStreamSock = ctx.socket(SocketType.DEALER);
inStreamSock.setIdentity(instanceId);
inStreamSock.connect(`${base}-out-stream`);
using outSock = ctx.socket(SocketType.PUB);
outSock.connect(`${base}-in`);

// await subscription (and the DEALER connection, before using our address)
await new Promise((r) => setTimeout(r, 10));

interface Session {
  addr: string;
  seq: number;
}
const sessions = new Map<string, Session>(); // id -> session

async function reply(
  id: Uint8Array,
  s: Session,
  fields: Array<[string, unknown]>,
): Promise<void> {
  const msg = new Map<string, unknown>([
    ["from", instanceId],
    ["id", id],
    ["seq", s.seq++],
    ...fields,
  ]);
  await send(outSock, [buildZhttp(msg as TnetMap, s.addr)]);
}

async function onRequest(req: TnetMap): Promise<void> {
  const id = req.get("id") as Uint8Array;
  const s = { addr: text(req, "from"), seq: 0 };
  const uri = text(req, "uri");
  if (uri.startsWith("ws")) {
    console.log(`ACCEPT ${new TextDecoder().decode(id)} ${uri}`);
    sessions.set(new TextDecoder().decode(id), s);
    await reply(id, s, [
      ["code", 101],
      ["reason", enc.encode("Switching Protocols")],
      ["credits", 8192],
    ]);
  } else {
    await reply(id, s, [
      ["code", 400],
      ["reason", enc.encode("Bad Request")],
      ["headers", [[enc.encode("Content-Type"), enc.encode("text/plain")]]],
      ["body", enc.encode("WebSocket only\n")],
    ]);
  }
}

async function onStreamPacket(msg: TnetMap): Promise<void> {
  const id = msg.get("id");
  if (!(id instanceof Uint8Array)) return;
  const key = new TextDecoder().decode(id);
  const s = sessions.get(key);
  if (s === undefined) return;
  const type = text(msg, "type");
  const body = msg.get("body") instanceof Uint8Array
    ? msg.get("body") as Uint8Array
    : new Uint8Array(0);
  switch (type) {
    case "": {
      const out: Array<[string, unknown]> = [
        ["content-type", msg.get("content-type") ?? enc.encode("text")],
        ["body", body],
        ["credits", body.length],
      ];
      if (msg.get("more") === true) out.push(["more", true]);
      await reply(id, s, out);
      break;
    }
    case "ping":
      await reply(id, s, [
        ["type", enc.encode("pong")],
        ["body", body],
        ["credits", body.length],
      ]);
      break;
    case "close": {
      const out: Array<[string, unknown]> = [["type", enc.encode("close")]];
      if (msg.has("code")) out.push(["code", msg.get("code")]);
      await reply(id, s, out);
      sessions.delete(key);
      break;
    }
    case "cancel":
      sessions.delete(key);
      break;
  }
}

while (true) {
  const [inEvents, streamEvents] = await poll([
    { socket: inSock, events: POLLIN },
    { socket: inStreamSock, events: POLLIN },
  ], 1000);
  if ((inEvents! & POLLIN) !== 0) {
    for (let f = inSock.tryReceive(); f !== null; f = inSock.tryReceive()) {
      await onRequest(parseZhttp(f[0]!));
    }
  }
  if ((streamEvents! & POLLIN) !== 0) {
    for (
      let f = inStreamSock.tryReceive();
      f !== null;
      f = inStreamSock.tryReceive()
    ) {
      await onStreamPacket(parseZhttp(f.at(-1)!));
    }
  }
}
