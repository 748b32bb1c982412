import assert from "node:assert/strict";
import {
  HEADERS_MAX,
  IDS_MAX,
  parsePacket,
  ZhttpParseError,
} from "../../src/zhttp/mod.ts";
import { hdrs, latin1, m, pkt, show } from "./_util.ts";

function rejects(payload: Uint8Array, message: string): void {
  assert.throws(
    () => parsePacket(payload),
    (e: unknown) => {
      assert.ok(e instanceof ZhttpParseError, String(e));
      assert.ok(e instanceof SyntaxError);
      assert.equal(e.name, "ZhttpParseError");
      assert.equal(e.message, message, show(payload));
      return true;
    },
  );
}

// Every message below was checked against the real Condure 1.9.1: the same payloads sent
// to a live session produce "zhttp parse error: <message>" (or, for id errors, "unable to
// determine packet id(s): <message>") in its log.
const ERRORS: [string, Uint8Array, string][] = [
  ["empty payload", new Uint8Array(0), "unrecognized data format"],
  ["not T", latin1("X0:}"), "unrecognized data format"],
  ["root not a map", latin1("T0:]"), "root must be of type map"],
  ["root truncated", latin1("T10:2:id,"), "unexpected eof"],
  ["root bad length", latin1("Tx:}"), "invalid data"],
  ["root bad type byte", latin1("T0:X"), "invalid data"],
  ["entry truncated", latin1("T6:2:id,1}"), "unexpected eof"],
  ["key not string", latin1("T8:1:1#1:a,}"), "map key must be a utf-8 string"],
  [
    "key not utf-8",
    latin1("T9:2:\xff\xfe,1:a,}"),
    "map key must be a utf-8 string",
  ],
  ["key without value", latin1("T5:2:id,}"), "unexpected eof"],
  ["from not string", pkt([["from", 1]]), "from must be of type string"],
  ["id int", pkt([["id", 1]]), "id must be of type map or string"],
  ["id map", pkt([["id", new Map()]]), "id must be of type map or string"],
  [
    "id list of strings",
    pkt([["id", ["a"]]]),
    "wrong type string, expected map",
  ],
  [
    "id list entry id not string",
    pkt([["id", [m([["id", 1]])]]]),
    "id must be of type string",
  ],
  [
    "id list entry seq not int",
    pkt([["id", [m([["id", "a"], ["seq", "1"]])]]]),
    "seq must be of type int",
  ],
  [
    "id list entry negative seq",
    pkt([["id", [m([["id", "a"], ["seq", -1]])]]]),
    "seq must not be negative",
  ],
  ["seq string", pkt([["id", "a"], ["seq", "0"]]), "seq must be of type int"],
  ["seq negative", pkt([["id", "a"], ["seq", -1]]), "seq must not be negative"],
  ["seq bad int", latin1("T20:2:id,1:a,3:seq,2:1x#}"), "invalid data"],
  [
    "seq beyond i64",
    latin1("T39:2:id,1:a,3:seq,20:99999999999999999999#}"),
    "invalid data",
  ],
  ["type int", pkt([["id", "a"], ["type", 1]]), "type must be of type string"],
  [
    "type not utf-8",
    latin1("T21:2:id,1:a,4:type,2:\xff\xfe,}"),
    "type must be a utf-8 string",
  ],
  ["ext not map", pkt([["ext", true]]), "ext must be of type map"],
  [
    "ext multi not bool",
    pkt([["ext", m([["multi", 1]])]]),
    "multi must be of type bool",
  ],
  [
    "ext multi bad bool",
    latin1("T24:3:ext,14:5:multi,3:yes!}}"),
    "invalid data",
  ],
  ["more int", pkt([["id", "a"], ["more", 1]]), "more must be of type bool"],
  ["more bad bool", latin1("T23:2:id,1:a,4:more,4:True!}"), "invalid data"],
  [
    "body list",
    pkt([["id", "a"], ["body", []]]),
    "body must be of type string",
  ],
  [
    "code string",
    pkt([["id", "a"], ["code", "200"]]),
    "code must be of type int",
  ],
  [
    "code negative",
    pkt([["id", "a"], ["code", -1]]),
    "code must not be negative",
  ],
  [
    "credits negative",
    pkt([["id", "a"], ["credits", -5]]),
    "credits must not be negative",
  ],
  [
    "credits float",
    pkt([["id", "a"], ["credits", 1.5]]),
    "credits must be of type int",
  ],
  [
    "reason int",
    pkt([["id", "a"], ["reason", 1]]),
    "reason must be of type string",
  ],
  [
    "reason not utf-8",
    latin1("T22:2:id,1:a,6:reason,1:\xff,}"),
    "reason must be a utf-8 string",
  ],
  [
    "content-type int",
    pkt([["id", "a"], ["content-type", 1]]),
    "content-type must be of type string",
  ],
  [
    "headers map",
    pkt([["id", "a"], ["headers", new Map()]]),
    "headers must be of type array",
  ],
  [
    "header item string",
    pkt([["id", "a"], ["headers", ["A"]]]),
    "header item must be of type array",
  ],
  [
    "header item empty",
    pkt([["id", "a"], ["headers", [[]]]]),
    "header item must have size 2",
  ],
  [
    "header item of 1",
    pkt([["id", "a"], ["headers", [["A"]]]]),
    "header item must have size 2",
  ],
  [
    "header name int",
    pkt([["id", "a"], ["headers", [[1, "v"]]]]),
    "header name must be of type string",
  ],
  [
    "header name not utf-8",
    latin1("T34:2:id,1:a,7:headers,11:8:1:\xff,1:v,]]}"),
    "header name must be a utf-8 string",
  ],
  [
    "header value int",
    pkt([["id", "a"], ["headers", [["A", 1]]]]),
    "header value must be of type string",
  ],
  [
    "65 headers",
    pkt([["id", "a"], ["headers", hdrs(HEADERS_MAX + 1)]]),
    "too many headers",
  ],
  [
    "129 ids",
    pkt([["id", Array.from({ length: IDS_MAX + 1 }, () => m([["id", "x"]]))]]),
    "too many ids",
  ],
  [
    "condition int",
    pkt([["id", "a"], ["type", "error"], ["condition", 1]]),
    "condition must be of type string",
  ],
  [
    "condition not utf-8",
    latin1("T40:2:id,1:a,4:type,5:error,9:condition,1:\xff,}"),
    "condition must be a utf-8 string",
  ],
  [
    "close body not utf-8 (Condure's text)",
    latin1("T35:2:id,1:a,4:type,5:close,4:body,1:\xff,}"),
    "condition must be a utf-8 string",
  ],
  [
    "credit packet credits string",
    pkt([["id", "a"], ["type", "credit"], ["credits", "5"]]),
    "credits must be of type int",
  ],
  [
    "ping credits negative",
    pkt([["id", "a"], ["type", "ping"], ["credits", -1]]),
    "credits must not be negative",
  ],
];

for (const [name, payload, message] of ERRORS) {
  Deno.test(`parsePacket() rejects ${name} with "${message}"`, () => {
    rejects(payload, message);
  });
}

Deno.test("parsePacket() reports the common-field error before a type-specific one, like Condure", () => {
  rejects(
    pkt([["id", "a"], ["code", "x"], ["seq", "y"]]),
    "seq must be of type int",
  );
});
