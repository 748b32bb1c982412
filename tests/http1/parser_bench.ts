// Run: deno bench tests/http1/parser_bench.ts
import {
  ChunkedDecoder,
  encodeResponseHead,
  parseRequestHead,
} from "../../src/http1/mod.ts";

const enc = new TextEncoder();
const opts = { maxHeadSize: 8192 };

const curl = enc.encode(
  "GET / HTTP/1.1\r\nHost: localhost:8000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
);
const browser = enc.encode(
  "GET /static/app.js?v=12345 HTTP/1.1\r\n" +
    "Host: www.example.com\r\n" +
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
    "Accept-Language: en-US,en;q=0.5\r\n" +
    "Accept-Encoding: gzip, deflate, br\r\n" +
    "Connection: keep-alive\r\n" +
    "Cookie: session=0123456789abcdef0123456789abcdef; theme=dark\r\n" +
    "Upgrade-Insecure-Requests: 1\r\n" +
    "Cache-Control: max-age=0\r\n\r\n",
);
const partial = browser.subarray(0, browser.length - 30);

Deno.bench(
  "parseRequestHead() curl-like GET (78 bytes)",
  { baseline: true },
  () => {
    parseRequestHead(curl, opts);
  },
);

Deno.bench(
  `parseRequestHead() browser-like GET (${browser.length} bytes)`,
  () => {
    parseRequestHead(browser, opts);
  },
);

Deno.bench("parseRequestHead() incomplete browser-like head (null)", () => {
  parseRequestHead(partial, opts);
});

const chunked = enc.encode("1000\r\n" + "x".repeat(4096) + "\r\n0\r\n\r\n");
Deno.bench("ChunkedDecoder.decode() one 4 KiB chunk", () => {
  const d = new ChunkedDecoder();
  let pos = 0;
  while (!d.done) pos += d.decode(chunked.subarray(pos)).consumed;
});

const handlerHeaders = [[
  enc.encode("Content-Type"),
  enc.encode("text/plain"),
]] as const;
Deno.bench("encodeResponseHead() 200 with Content-Length", () => {
  encodeResponseHead({
    versionMinor: 1,
    code: 200,
    reason: "OK",
    headers: handlerHeaders,
    persistent: true,
    body: { kind: "length", length: 6 },
  });
});
