import assert from "node:assert/strict";
import {
  IDENTITY_NAME_MAX,
  identityCandidates,
  isSafeIdentityName,
} from "../../src/tls/mod.ts";

Deno.test("identityCandidates() tries the name, its one-level wildcard, then the default", () => {
  assert.deepEqual(identityCandidates("www.example.com", "dflt"), [
    "www.example.com",
    "_.example.com",
    "dflt",
  ]);
  assert.deepEqual(identityCandidates("a.b.example.com"), [
    "a.b.example.com",
    "_.b.example.com",
  ]);
  assert.deepEqual(identityCandidates("localhost"), ["localhost"]);
  assert.deepEqual(identityCandidates("Mixed.Case.COM"), [
    "mixed.case.com",
    "_.case.com",
  ]);
});

Deno.test("identityCandidates() uses only the default when SNI is absent", () => {
  assert.deepEqual(identityCandidates("", "dflt"), ["dflt"]);
  assert.deepEqual(identityCandidates(""), []);
});

Deno.test("identityCandidates() skips unsafe names but keeps the default", () => {
  assert.deepEqual(identityCandidates("../etc/passwd", "dflt"), ["dflt"]);
  assert.deepEqual(identityCandidates("a/b.example.com", "dflt"), ["dflt"]);
  assert.deepEqual(identityCandidates("a\x01.example.com"), []);
  assert.deepEqual(identityCandidates("x.", undefined), ["x."]);
  assert.deepEqual(identityCandidates("_.example.com"), ["_.example.com"]);
  assert.deepEqual(identityCandidates("www.example.com", "../x"), [
    "www.example.com",
    "_.example.com",
  ]);
});

Deno.test("isSafeIdentityName() refuses separators, control chars, '..' and long names", () => {
  for (const ok of ["a", "a.example.com", "_.example.com", "x".repeat(253)]) {
    assert.equal(isSafeIdentityName(ok), true, ok);
  }
  for (
    const bad of [
      "",
      "x".repeat(IDENTITY_NAME_MAX + 1),
      "a/b",
      "a\\b",
      "..",
      "a..b",
      "a\nb",
      "a\0b",
      "a\x7fb",
    ]
  ) {
    assert.equal(isSafeIdentityName(bad), false, JSON.stringify(bad));
  }
});
