import assert from "node:assert/strict";
import { parsePacket, peekIds, ZhttpParseError } from "../../src/zhttp/mod.ts";
import { prng, randInt } from "../tnetstring/_prng.ts";
import { m, pkt, show } from "./_util.ts";

// ---- fuzz ----

Deno.test("parsePacket() and peekIds() throw only ZhttpParseError on mutated payloads (seeded fuzz)", () => {
  const rand = prng(42);
  const seeds: Uint8Array[] = [
    pkt([
      ["from", "hX"],
      ["id", "0-0-3"],
      ["seq", 2],
      ["code", 200],
      ["reason", "OK"],
      ["headers", [["A", "b"], ["C", "d"]]],
      ["body", "x"],
      ["more", true],
      ["credits", 5],
    ]),
    pkt([
      ["from", "hX"],
      ["id", [m([["id", "a"], ["seq", 1]]), m([["id", "b"], ["seq", 2]])]],
      ["ext", m([["multi", true]])],
      ["type", "keep-alive"],
    ]),
    pkt([["id", "a"], ["type", "close"], ["code", 1000], ["body", "bye"]]),
    pkt([["id", "a"], ["type", "error"], ["condition", "rejected"], [
      "code",
      403,
    ], ["headers", [["A", "b"]]]]),
    pkt([["id", "a"], ["type", "ping"], ["credits", 3], ["body", "p"], [
      "user-data",
      m([["k", [1, 2.5, null]]]),
    ]]),
  ];
  const alphabet = "0123456789:,#^!~]}T -";
  let accepted = 0;
  for (let i = 0; i < 20000; i++) {
    const bytes = Array.from(seeds[randInt(rand, seeds.length)]!);
    for (let e = 1 + randInt(rand, 3); e > 0; e--) {
      const at = randInt(rand, bytes.length + 1);
      switch (randInt(rand, 4)) {
        case 0:
          bytes[at] = randInt(rand, 256);
          break;
        case 1:
          bytes.splice(
            at,
            0,
            alphabet.charCodeAt(randInt(rand, alphabet.length)),
          );
          break;
        case 2:
          bytes.splice(at, 1 + randInt(rand, 3));
          break;
        default:
          bytes[at] = alphabet.charCodeAt(randInt(rand, alphabet.length));
      }
    }
    const payload = Uint8Array.from(bytes);
    for (const f of [parsePacket, peekIds]) {
      try {
        f(payload);
        accepted++;
      } catch (err) {
        assert.ok(
          err instanceof ZhttpParseError,
          `${err} for ${show(payload)}`,
        );
      }
    }
  }
  assert.ok(accepted > 100);
});
