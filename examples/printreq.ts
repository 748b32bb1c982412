// This handler just outputs the request ID: "<server id> <request id>" per line
// (the Deno twin of printreq.py).
//
//   deno run --allow-all examples/printreq.ts [ipc://client]

import { SocketType, ZmqContext } from "../src/zmq/mod.ts";
import { parseZhttp, receive, text } from "./handler_kit.ts";

const base = Deno.args[0] ?? "ipc://client";
using ctx = new ZmqContext();
using sock = ctx.socket(SocketType.PULL);
sock.connect(`${base}-out`);

while (true) {
  const [raw] = await receive(sock);
  const req = parseZhttp(raw!);
  console.log(`${text(req, "from")} ${text(req, "id")}`);
}
