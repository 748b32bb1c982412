import assert from "node:assert/strict";
import {
  ChunkedDecoder,
  HEADERS_MAX,
  HttpError,
  parseRequestHead,
  URI_SIZE_MAX,
} from "../../src/http1/mod.ts";
import { bytes } from "./_util.ts";

/** Deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x5eed);
const SPECIAL = bytes("\r\n :\t,;\x00\x7f\x80\xff0aA/");

const HEADS = [
  "GET /p?x=1 HTTP/1.1\r\nHost: a:81\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
  "POST /u HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
  "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n",
  "GET / HTTP/1.0\r\nConnection: keep-alive\r\nUpgrade: websocket\r\n\r\n",
];

function mutate(input: Uint8Array, rand: () => number): Uint8Array {
  let out = Array.from(input);
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const pos = Math.floor(rand() * (out.length + 1));
    const b = rand() < 0.5
      ? SPECIAL[Math.floor(rand() * SPECIAL.length)]!
      : Math.floor(rand() * 256);
    const op = Math.floor(rand() * 4);
    if (op === 0) out[pos] = b;
    else if (op === 1) out.splice(pos, 0, b);
    else if (op === 2) out.splice(pos, 1);
    else out = out.slice(0, pos);
  }
  return Uint8Array.from(out);
}

function checkParse(buf: Uint8Array, maxHeadSize: number): void {
  let head;
  try {
    head = parseRequestHead(buf, { maxHeadSize });
  } catch (e) {
    if (e instanceof HttpError) return;
    throw new Error(
      `non-HttpError for ${JSON.stringify(String.fromCharCode(...buf))}`,
      {
        cause: e,
      },
    );
  }
  if (head === null) {
    assert(buf.length < maxHeadSize);
    return;
  }
  assert(head.headSize <= buf.length && head.headSize <= maxHeadSize);
  assert(head.headers.length <= HEADERS_MAX);
  assert(head.target.length <= URI_SIZE_MAX);
  for (const [n, v] of head.headers) {
    assert(n.buffer === buf.buffer && v.buffer === buf.buffer);
    assert(v.byteOffset + v.length <= buf.byteOffset + head.headSize);
  }
}

Deno.test("parseRequestHead() only returns a head, null, or throws HttpError on random bytes", () => {
  const rand = rng(SEED);
  for (let i = 0; i < 20000; i++) {
    const len = Math.floor(rand() * 200);
    const buf = new Uint8Array(len);
    for (let k = 0; k < len; k++) {
      buf[k] = rand() < 0.3
        ? SPECIAL[Math.floor(rand() * SPECIAL.length)]!
        : rand() * 256;
    }
    checkParse(buf, 1 + Math.floor(rand() * 256));
  }
});

Deno.test("parseRequestHead() only returns a head, null, or throws HttpError on mutated heads", () => {
  const rand = rng(SEED + 1);
  const heads = HEADS.map(bytes);
  for (let i = 0; i < 40000; i++) {
    const buf = mutate(heads[i % heads.length]!, rand);
    checkParse(buf, rand() < 0.9 ? 8192 : 1 + Math.floor(rand() * 100));
  }
});

Deno.test("ChunkedDecoder only decodes or throws HttpError on mutated bodies", () => {
  const rand = rng(SEED + 2);
  const bodies = [
    "5\r\nhello\r\n6;e=1\r\n world\r\n0\r\nT: v\r\n\r\nNEXT",
    "a\r\n0123456789\r\n0\r\n\r\n",
  ].map(bytes);
  for (let i = 0; i < 20000; i++) {
    const input = mutate(bodies[i % bodies.length]!, rand);
    const d = new ChunkedDecoder();
    let pos = 0;
    const step = 1 + Math.floor(rand() * 8);
    const maxBytes = rand() < 0.5 ? Infinity : Math.floor(rand() * 6);
    try {
      // Feed growing prefixes, as bytes would arrive.
      for (
        let end = Math.min(step, input.length);;
        end = Math.min(end + step, input.length)
      ) {
        for (;;) {
          const r = d.decode(input.subarray(pos, end), maxBytes);
          assert(r.consumed <= end - pos && r.data.length <= maxBytes);
          pos += r.consumed;
          if (r.consumed === 0 || r.done) break;
        }
        if (d.done || end === input.length) break;
      }
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      assert.equal(e.status, 400);
    }
  }
});
