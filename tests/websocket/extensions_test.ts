import assert from "node:assert/strict";
import { negotiateDeflate, parseExtensions } from "../../src/websocket/mod.ts";

const enc = new TextEncoder();
const PMD = "permessage-deflate";
const CNCT = "; client_no_context_takeover";
const SNCT = "; server_no_context_takeover";
const MALFORMED = "malformed";

/**
 * Header values (several = several header fields) and Condure 1.9.1's observed answer: the
 * response extension, `null` for 101 without the extension, or MALFORMED for a closed
 * connection. Observed by running `condure --compression` on loopback.
 */
const CASES: Array<[string[], string | null]> = [
  // §7.9 and §17 item 51/52
  [[PMD], PMD],
  [[`${PMD}; client_max_window_bits`], PMD],
  [[`${PMD}; server_max_window_bits=10`], null],
  [[`${PMD}; server_max_window_bits=10, ${PMD}`], PMD],
  [[`${PMD}; server_max_window_bits=15`], PMD],
  [[`${PMD}; server_max_window_bits`], null],
  [[`${PMD}; server_max_window_bits="15"`], PMD],
  [[`${PMD}; server_max_window_bits=" 15"`], null],
  [[`${PMD}; server_max_window_bits=015`], PMD],
  [[`${PMD}; server_max_window_bits = 15`], PMD],
  [[`${PMD}; client_max_window_bits="10"`], PMD],
  [[`${PMD}; client_max_window_bits=08`], PMD],
  [[`${PMD}; client_max_window_bits=+10`], PMD],
  [[`${PMD}; client_max_window_bits= 10`], PMD],
  [[`${PMD}; client_max_window_bits=16`], null],
  [[`${PMD}; client_max_window_bits=7`], null],
  [[`${PMD}; client_max_window_bits=`], PMD],
  [[`${PMD}; client_max_window_bits=""`], PMD],
  [[`${PMD}; client_max_window_bits=10; client_max_window_bits`], null],
  [[`${PMD}; server_max_window_bits=15; server_max_window_bits=15`], null],
  [
    [`${PMD}; server_no_context_takeover; client_no_context_takeover`],
    PMD + CNCT + SNCT,
  ],
  [
    [`${PMD}; client_no_context_takeover; server_no_context_takeover`],
    PMD + CNCT + SNCT,
  ],
  [[`${PMD}; server_no_context_takeover`], PMD + SNCT],
  [
    [`${PMD}; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15`],
    PMD + CNCT,
  ],
  [[`${PMD}; foo, ${PMD}; server_no_context_takeover`], PMD + SNCT],
  [
    [`${PMD}; client_no_context_takeover; client_no_context_takeover, ${PMD}`],
    PMD,
  ],
  [[`${PMD}; client_no_context_takeover=1`], null],
  [[`${PMD}; client_no_context_takeover=`], PMD + CNCT],
  [[`${PMD}; server_no_context_takeover=""`], PMD + SNCT],
  [[`${PMD}; client_no_context_takeover = `], PMD + CNCT],
  [["Permessage-Deflate"], null],
  [[`${PMD}; Client_No_Context_Takeover`], null],
  [[`x-webkit-deflate-frame, ${PMD}`], PMD],
  [["foo", `${PMD}; server_no_context_takeover`], PMD + SNCT],
  [[`${PMD} ; client_no_context_takeover`], PMD + CNCT],
  [[`${PMD};client_no_context_takeover`], PMD + CNCT],
  [[`${PMD}\t; client_no_context_takeover`], PMD + CNCT],
  [[`foo , ${PMD} ,bar`], PMD],
  [[`${PMD}; a=`], null],
  [[`${PMD}; x=`], null],
  [[`${PMD}; x="a b"`], null],
  [[`${PMD}; x=a=b`], null],
  [[`${PMD} client_max_window_bits`], null],
  [[`${PMD}, foo/bar`], PMD],
  [[`${PMD}, foo@`], PMD],
  [["foo bar"], null],
  [['foo="x'], null],
  [['foo; x="a,b"', `${PMD}; server_no_context_takeover`], PMD + SNCT],
  [[`foo; x="a,b", ${PMD}; server_no_context_takeover`], PMD + SNCT],
  [[`foo; x="a;b", ${PMD}; server_no_context_takeover`], PMD + SNCT],
  [[`foo; x="", ${PMD}; server_no_context_takeover`], PMD + SNCT],
  [[`foo; x=a b, ${PMD}; server_no_context_takeover`], PMD + SNCT],
  [['foo; "x"'], null],
  [['"foo"'], null],
  [['foo; x=a"'], null],
  [['foo; x=="a"'], null],
  [["foo; x= = "], null],
  // Malformed: Condure closes the connection.
  [[`${PMD};`], MALFORMED],
  [[`${PMD};;`], MALFORMED],
  [[`;${PMD}`], MALFORMED],
  [[`, , ${PMD}`], MALFORMED],
  [[` , ${PMD}`], MALFORMED],
  [[`${PMD},`], MALFORMED],
  [[`${PMD}; =1`], MALFORMED],
  [["foo;="], MALFORMED],
  [["foo; x=y; "], MALFORMED],
  [["foo;x;;y"], MALFORMED],
  [['foo; x="unterminated'], MALFORMED],
  [['foo; x="a'], MALFORMED],
  [['foo; x="\\'], MALFORMED],
  [[`foo; x="a\\"b", ${PMD}`], MALFORMED],
  [[`foo; x="a"b, ${PMD}`], MALFORMED],
  [[`${PMD}; client_max_window_bits="1"0`], MALFORMED],
  [[""], MALFORMED],
  [[" "], MALFORMED],
  [[PMD, ""], MALFORMED],
  [[PMD, "  "], MALFORMED],
];

for (const [values, want] of CASES) {
  Deno.test(`\`negotiateDeflate()\` answers ${JSON.stringify(values)} like Condure`, () => {
    const bytes = values.map((v) => enc.encode(v));
    if (want === MALFORMED) {
      assert.throws(() => negotiateDeflate(bytes), SyntaxError);
    } else {
      assert.equal(negotiateDeflate(bytes)?.response ?? null, want);
    }
  });
}

Deno.test("`negotiateDeflate()` returns null without any offer", () => {
  assert.equal(negotiateDeflate([]), null);
});

Deno.test("`negotiateDeflate()` reports the context takeover flags", () => {
  const r = negotiateDeflate([
    enc.encode(`${PMD}; server_no_context_takeover`),
  ]);
  assert.deepEqual(r, {
    response: PMD + SNCT,
    serverNoContextTakeover: true,
    clientNoContextTakeover: false,
  });
  const c = negotiateDeflate([
    enc.encode(`${PMD}; client_no_context_takeover`),
  ]);
  assert.equal(c?.clientNoContextTakeover, true);
  assert.equal(c?.serverNoContextTakeover, false);
});

Deno.test("`negotiateDeflate()` fails a value that is not UTF-8", () => {
  assert.throws(
    () =>
      negotiateDeflate([
        new Uint8Array([0x66, 0x6f, 0x6f, 0x3b, 0x20, 0x78, 0x3d, 0xe9]),
      ]),
    SyntaxError,
  );
  assert.throws(
    () => negotiateDeflate([new Uint8Array([0xe9, 0x2c, 0x20, 0x70])]),
    SyntaxError,
  );
});

Deno.test("`parseExtensions()` keeps offers and parameters in order, unquoting values", () => {
  assert.deepEqual(
    parseExtensions([
      enc.encode(
        'permessage-deflate; client_max_window_bits="10"; server_no_context_takeover, foo',
      ),
      enc.encode("bar; x=1"),
    ]),
    [
      {
        name: "permessage-deflate",
        params: [["client_max_window_bits", "10"], [
          "server_no_context_takeover",
          undefined,
        ]],
      },
      { name: "foo", params: [] },
      { name: "bar", params: [["x", "1"]] },
    ],
  );
});
