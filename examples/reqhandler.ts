// req-mode handler: answers every request with "hello world" (the Deno twin of reqhandler.py).
//
//   deno task start --listen 8000,req --zclient-req ipc://client
//   deno run --allow-all examples/reqhandler.ts [ipc://client]
//   curl -i http://localhost:8000
//
// In req mode the manager uses one DEALER socket; a ROUTER here sees each request as
// [routing-id..., "", payload] and replies with the same envelope in front of its payload.

import { SocketType, ZmqContext } from "../src/zmq/mod.ts";
import { buildZhttp, parseZhttp, receive, send } from "./handler_kit.ts";

const spec = Deno.args[0] ?? "ipc://client";
const enc = new TextEncoder();
const dec = new TextDecoder();

using ctx = new ZmqContext();
using sock = ctx.socket(SocketType.ROUTER);
sock.connect(spec);

while (true) {
  const frames = await receive(sock);
  const delimiter = frames.findIndex((f) => f.length === 0);
  const payload = frames[delimiter + 1];
  if (delimiter < 1 || payload === undefined) continue; // not an enveloped request
  const req = parseZhttp(payload);
  const id = req.get("id") as Uint8Array;
  const text = (key: string) => dec.decode(req.get(key) as Uint8Array);
  console.log(`IN ${dec.decode(id)} ${text("method")} ${text("uri")}`);

  const resp = new Map<string, unknown>([
    ["id", id],
    ["code", 200],
    ["reason", enc.encode("OK")],
    ["headers", [[enc.encode("Content-Type"), enc.encode("text/plain")]]],
    ["body", enc.encode("hello world\n")],
  ]);
  await send(sock, [
    ...frames.slice(0, delimiter + 1),
    buildZhttp(resp as never),
  ]);
}
