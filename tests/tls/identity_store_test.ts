import assert from "node:assert/strict";
import { IdentityStore } from "../../src/tls/mod.ts";
import { bumpMtime, makeIdentitiesDir, makeIdentity } from "./_certs.ts";

Deno.test("IdentityStore.lookup() finds exact, wildcard and default pairs", async () => {
  const dir = await makeIdentitiesDir();
  try {
    const store = new IdentityStore(dir);
    const exact = await store.lookup("A.Example.com");
    const wildcard = await store.lookup("b.example.com");
    const dflt = await store.lookup("other.test", "default");
    assert.notEqual(exact, null);
    assert.notEqual(wildcard, null);
    assert.notEqual(dflt, null);
    assert.notEqual(exact, wildcard);
    assert.equal(await store.lookup("c.example.com"), wildcard);
    assert.equal(await store.lookup("", "default"), dflt);
    assert.equal(await store.lookup("other.test"), null);
    assert.equal(await store.lookup("x.a.example.com"), null); // one level only
    assert.equal(await store.lookup("", "missing"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IdentityStore.lookup() reuses a pair until its files change", async () => {
  const dir = await makeIdentitiesDir();
  try {
    const store = new IdentityStore(dir, { recheckMs: 0 });
    const first = await store.lookup("a.example.com");
    assert.equal(await store.lookup("a.example.com"), first);
    await makeIdentity(dir, "a.example.com", "a.example.com");
    await bumpMtime(dir, "a.example.com", 10);
    const second = await store.lookup("a.example.com");
    assert.notEqual(second, null);
    assert.notEqual(second, first);
    assert.equal(await store.lookup("a.example.com"), second);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IdentityStore.lookup() sees a pair that appears later and one that goes away", async () => {
  const dir = await makeIdentitiesDir();
  try {
    const store = new IdentityStore(dir, { recheckMs: 0 });
    assert.equal(await store.lookup("new.test"), null);
    await makeIdentity(dir, "new.test", "new.test");
    assert.notEqual(await store.lookup("new.test"), null);
    await Deno.remove(`${dir}/new.test.key`);
    assert.equal(await store.lookup("new.test"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IdentityStore.lookup() trusts a result for recheckMs without stat", async () => {
  const dir = await makeIdentitiesDir();
  try {
    const store = new IdentityStore(dir, { recheckMs: 60_000 });
    assert.equal(await store.lookup("late.test"), null);
    await makeIdentity(dir, "late.test", "late.test");
    assert.equal(await store.lookup("late.test"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IdentityStore.lookup() refuses a broken or mismatched pair and reports it", async () => {
  const dir = await makeIdentitiesDir();
  try {
    const errors: string[] = [];
    const store = new IdentityStore(dir, {
      recheckMs: 0,
      onError: (m) => errors.push(m),
    });
    await Deno.writeTextFile(`${dir}/bad.test.crt`, "not a certificate");
    await Deno.writeTextFile(`${dir}/bad.test.key`, "not a key");
    assert.equal(await store.lookup("bad.test"), null);
    await Deno.copyFile(`${dir}/a.example.com.crt`, `${dir}/mix.test.crt`);
    await Deno.copyFile(`${dir}/default.key`, `${dir}/mix.test.key`);
    assert.equal(
      await store.lookup("mix.test", "default"),
      await store.lookup("", "default"),
    );
    assert.equal(errors.length, 2, errors.join("\n"));
    assert.match(errors[1]!, /mix\.test: key does not match certificate/);
    // Not read again while unchanged.
    assert.equal(await store.lookup("bad.test"), null);
    assert.equal(errors.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IdentityStore.lookup() shares one check among concurrent lookups and bounds its cache", async () => {
  const dir = await makeIdentitiesDir();
  try {
    const store = new IdentityStore(dir, { cacheMax: 2 });
    const all = await Promise.all(
      Array.from({ length: 20 }, () => store.lookup("a.example.com")),
    );
    assert.ok(all.every((c) => c !== null && c === all[0]));
    for (let i = 0; i < 10; i++) await store.lookup(`n${i}.test`);
    // Evicted, then loaded again: a new context object.
    assert.notEqual(await store.lookup("a.example.com"), all[0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
