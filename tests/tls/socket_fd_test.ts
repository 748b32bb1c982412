import assert from "node:assert/strict";
import {
  addressKey,
  noDelayOf,
  shutdownConnections,
  socketCallsAvailable,
  tuneListeners,
} from "../../src/tls/mod.ts";

Deno.test("addressKey() gives one key per address and port, IPv4 as IPv4-mapped IPv6", () => {
  assert.equal(
    addressKey("127.0.0.1", 443),
    "00000000000000000000ffff7f000001/443",
  );
  assert.equal(
    addressKey("::ffff:127.0.0.1", 443),
    addressKey("127.0.0.1", 443),
  );
  assert.equal(addressKey("::1", 80), "00000000000000000000000000000001/80");
  assert.equal(addressKey("[::1]", 80), addressKey("::1", 80));
  assert.equal(addressKey("::", 1), `${"0".repeat(32)}/1`);
  assert.equal(
    addressKey("2001:db8::8:800:200c:417a", 2),
    "20010db80000000000080800200c417a/2",
  );
  assert.equal(addressKey("fe80::1%eth0", 3), addressKey("fe80::1", 3));
  assert.equal(
    addressKey("1:2:3:4:5:6:7:8", 4),
    "00010002000300040005000600070008/4",
  );
  for (
    const bad of [
      "localhost",
      "1.2.3",
      "1.2.3.256",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "12345::",
      "",
    ]
  ) {
    assert.equal(addressKey(bad, 1), null, bad);
  }
});

Deno.test({
  name:
    "tuneListeners() makes accepted sockets TCP_NODELAY; shutdownConnections() ends a connection Deno still holds",
  ignore: !socketCallsAvailable(),
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    assert.equal(tuneListeners(listener.addr), 1);
    const accepted = listener.accept();
    const client = await Deno.connect({
      hostname: "127.0.0.1",
      port: listener.addr.port,
    });
    const server = await accepted;
    assert.equal(
      noDelayOf(
        server.localAddr as Deno.NetAddr,
        server.remoteAddr as Deno.NetAddr,
      ),
      true,
    );
    assert.equal(
      shutdownConnections([{
        local: server.localAddr as Deno.NetAddr,
        remote: server.remoteAddr as Deno.NetAddr,
      }]),
      1,
    );
    // The client sees the end although the server never closed its Deno resource.
    assert.equal(await client.read(new Uint8Array(8)), null);
    assert.equal(
      shutdownConnections([{
        local: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
        remote: { transport: "tcp", hostname: "127.0.0.1", port: 2 },
      }]),
      0,
    );
    client.close();
    server.close();
    listener.close();
  },
});
