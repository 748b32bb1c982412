import assert from "node:assert/strict";
import { chownSocket, lookupId } from "../../src/server/unix_owner.ts";

const PASSWD =
  "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n";

Deno.test("lookupId() finds names, takes numeric ids as they are, and misses unknown names", () => {
  assert.equal(lookupId(PASSWD, "nobody"), 65534);
  assert.equal(lookupId(PASSWD, "1234"), 1234);
  assert.equal(lookupId(PASSWD, "nobod"), undefined);
  assert.equal(lookupId("broken line\n", "broken line"), undefined);
});

Deno.test({
  name: "chownSocket() applies user= and group= and names an unknown user",
  ignore: Deno.uid() !== 0,
  fn() {
    const path = Deno.makeTempFileSync();
    try {
      chownSocket(path, { user: "nobody", group: "0" });
      const st = Deno.statSync(path);
      assert.equal(
        st.uid,
        lookupId(Deno.readTextFileSync("/etc/passwd"), "nobody"),
      );
      assert.equal(st.gid, 0);
      assert.throws(
        () => chownSocket(path, { user: "no-such-user-here" }),
        /failed to set user: unknown user no-such-user-here/,
      );
    } finally {
      Deno.removeSync(path);
    }
  },
});
