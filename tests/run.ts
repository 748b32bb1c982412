/**
 * `deno task test`: runs every test with the sanitizers on. Tests that need a Debian package
 * that is missing here (pyzmq for `/usr/bin/python3`, the reference `condure`, `openssl`) are
 * skipped with a message naming the package; `.ci/run` installs them all. Extra arguments are
 * passed on to `deno test` (e.g. a file or `--filter`).
 *
 * @module
 */

interface Requirement {
  /** Debian package(s) to install. */
  packages: string;
  /** Whether it is available. */
  present: () => boolean;
  /** Test paths that need it. */
  paths: string[];
}

function runs(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const REQUIREMENTS: Requirement[] = [
  {
    packages: "python3-zmq",
    present: () => runs("/usr/bin/python3", ["-c", "import zmq"]),
    paths: [
      "tests/integration/",
      "tests/zmq/req_sockets_test.ts",
      "tests/zmq/stream_sockets_test.ts",
      "tests/zmq/teardown_test.ts",
      "tests/tls/e2e_test.ts",
    ],
  },
  {
    packages: "condure",
    present: () => runs("/usr/bin/condure", ["--version"]),
    paths: ["tests/integration/", "tests/tls/e2e_test.ts"],
  },
  {
    packages: "openssl",
    present: () => runs("openssl", ["version"]),
    paths: ["tests/tls/"],
  },
];

const skipped = new Set<string>();
for (const r of REQUIREMENTS) {
  if (r.present()) continue;
  for (const p of r.paths) skipped.add(p);
  console.log(
    `skipping ${r.paths.join(", ")}: needs the Debian package ${r.packages} ` +
      `(apt-get install -y ${r.packages}, or run .ci/run)`,
  );
}

const args = [
  "test",
  "--unstable-net",
  "--allow-all",
  "--sanitize-ops",
  "--sanitize-resources",
  "--doc",
  ...(skipped.size > 0 ? [`--ignore=${[...skipped].join(",")}`] : []),
  ...(Deno.args.length > 0
    ? Deno.args
    : ["tests/", "src/", "bench/", "examples/"]),
];
const child = new Deno.Command(Deno.execPath(), { args, stdin: "null" })
  .spawn();
Deno.exit((await child.status).code);
