// This program sends a response to a certain request ID (the Deno twin of sendresp.py).
//
//   deno run --allow-all examples/sendresp.ts "responding from another process" condure 0-0-0 [ipc://client]

import type { TnetInput } from "../src/tnetstring/mod.ts";
import { SocketType, ZmqContext } from "../src/zmq/mod.ts";
import { buildZhttp, send } from "./handler_kit.ts";

const [body, addr, rid, base = "ipc://client"] = Deno.args;
if (body === undefined || addr === undefined || rid === undefined) {
  console.error("usage: sendresp.ts BODY ADDRESS REQUEST-ID [BASE]");
  Deno.exit(2);
}
const enc = new TextEncoder();
{
  using ctx = new ZmqContext();
  using sock = ctx.socket(SocketType.PUB);
  sock.connect(`${base}-in`);

  // await subscription
  await new Promise((r) => setTimeout(r, 10));

  const resp = new Map<string, TnetInput>([
    ["from", enc.encode("sendresp")],
    ["id", enc.encode(rid)],
    ["code", 200],
    ["reason", enc.encode("OK")],
    ["headers", [[enc.encode("Content-Type"), enc.encode("text/plain")]]],
    ["body", enc.encode(`${body}\n`)],
  ]);
  await send(sock, [buildZhttp(resp, addr)]);
  sock.setLinger(1000);
}
