// This handler responds to every request with "hello world" (the Deno twin of basichandler.py).
//
//   deno task start --listen 8000 --zclient-stream ipc://client
//   deno run --allow-all examples/basichandler.ts [ipc://client]
//   curl -i http://localhost:8000

import type { TnetInput } from "../src/tnetstring/mod.ts";
import { SocketType, ZmqContext } from "../src/zmq/mod.ts";
import { buildZhttp, parseZhttp, receive, send } from "./handler_kit.ts";

const base = Deno.args[0] ?? "ipc://client";
const instanceId = `basichandler.${Deno.pid}`;
const enc = new TextEncoder();

using ctx = new ZmqContext();
using inSock = ctx.socket(SocketType.PULL);
inSock.connect(`${base}-out`);
using outSock = ctx.socket(SocketType.PUB);
outSock.connect(`${base}-in`);

// await subscription
await new Promise((r) => setTimeout(r, 10));

while (true) {
  const [raw] = await receive(inSock);
  const req = parseZhttp(raw!);
  console.log("IN", req);
  const resp = new Map<string, TnetInput>([
    ["from", enc.encode(instanceId)],
    ["id", req.get("id") ?? ""],
    ["code", 200],
    ["reason", enc.encode("OK")],
    ["headers", [[enc.encode("Content-Type"), enc.encode("text/plain")]]],
    ["body", enc.encode("hello world\n")],
  ]);
  console.log("OUT", resp);
  const from = new TextDecoder().decode(req.get("from") as Uint8Array);
  await send(outSock, [buildZhttp(resp, from)]);
}
