import assert from "node:assert/strict";
import {
  checkSupported,
  type Config,
  parseCommandLine,
  parseListenSpec,
  startupError,
  streamSpecs,
  UNSUPPORTED,
  VERSION,
} from "../../src/cli/mod.ts";
import { didYouMean, jaroWinkler } from "../../src/cli/_suggest.ts";

const CONDURE = "/usr/bin/condure";
const haveCondure = (() => {
  try {
    return Deno.statSync(CONDURE).isFile;
  } catch {
    return false;
  }
})();

const TIMESTAMP = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/g;
const strip = (s: string) => s.replaceAll(TIMESTAMP, "<ts>");
const err = (message: string) => `[ERR] <ts> [condure] ${message}\n`;

const DEFAULTS: Config = {
  id: "condure",
  workers: 2,
  reqMaxconn: 100,
  streamMaxconn: 10000,
  bufferSize: 8192,
  bodyBufferSize: 100000,
  messagesMax: 100,
  reqTimeoutSecs: 30,
  streamTimeoutSecs: 1800,
  listen: [{
    address: { kind: "tcp", hostname: "0.0.0.0", port: 8000 },
    mode: "stream",
    tls: false,
  }],
  zclientReq: ["ipc://client"],
  zclientStream: ["ipc://client"],
  zclientConnect: false,
  ipcFileMode: 0,
  tlsIdentitiesDir: ".",
  compression: false,
  logLevel: 2,
};

function run(args: string[]): Config {
  const r = parseCommandLine(args);
  assert.equal(r.kind, "run", JSON.stringify(r));
  if (r.kind !== "run") throw new Error("unreachable");
  return r.config;
}

// ---------------------------------------------------------------------------
// Valid command lines → Config

const VALID: Array<[string[], Partial<Config>]> = [
  [[], {}],
  [["--workers", "4", "--id=pushpin-1"], { workers: 4, id: "pushpin-1" }],
  [["--workers=+3"], { workers: 3 }],
  [["--log-level", "0"], { logLevel: 0 }],
  [["--log-level", "9"], { logLevel: 4 }],
  [
    [
      "--req-maxconn",
      "5",
      "--stream-maxconn=7",
      "--buffer-size",
      "4096",
      "--body-buffer-size",
      "10",
      "--messages-max",
      "3",
      "--req-timeout",
      "1",
      "--stream-timeout",
      "2",
    ],
    {
      reqMaxconn: 5,
      streamMaxconn: 7,
      bufferSize: 4096,
      bodyBufferSize: 10,
      messagesMax: 3,
      reqTimeoutSecs: 1,
      streamTimeoutSecs: 2,
    },
  ],
  [["--ipc-file-mode", "438"], { ipcFileMode: 0o666 }],
  [["--ipc-file-mode=0"], { ipcFileMode: 0 }],
  [["--zclient-connect", "--compression"], {
    zclientConnect: true,
    compression: true,
  }],
  [["--tls-identities-dir", "/etc/certs"], { tlsIdentitiesDir: "/etc/certs" }],
  [["--zclient-req", "ipc://a", "ipc://b", "--zclient-req=tcp://x:1"], {
    zclientReq: ["ipc://a", "ipc://b", "tcp://x:1"],
  }],
  [[
    "--zclient-stream=ipc:///tmp/s",
    "--zclient-stream",
    "tcp://127.0.0.1:5000",
  ], {
    zclientStream: ["ipc:///tmp/s", "tcp://127.0.0.1:5000"],
  }],
  [["--listen", "8080", "127.0.0.1:9000,req", "--listen=[::1]:7000,stream"], {
    listen: [
      {
        address: { kind: "tcp", hostname: "0.0.0.0", port: 8080 },
        mode: "stream",
        tls: false,
      },
      {
        address: { kind: "tcp", hostname: "127.0.0.1", port: 9000 },
        mode: "req",
        tls: false,
      },
      {
        address: { kind: "tcp", hostname: "::1", port: 7000 },
        mode: "stream",
        tls: false,
      },
    ],
  }],
  // Pushpin's forms.
  [["--listen=0.0.0.0:443,stream,tls,default-cert=default_443"], {
    listen: [{
      address: { kind: "tcp", hostname: "0.0.0.0", port: 443 },
      mode: "stream",
      tls: true,
      defaultCert: "default_443",
    }],
  }],
  [["--listen=/run/pushpin/sock,local,stream,mode=660,user=www,group=adm"], {
    listen: [{
      address: {
        kind: "unix",
        path: "/run/pushpin/sock",
        mode: 0o660,
        user: "www",
        group: "adm",
      },
      mode: "stream",
      tls: false,
    }],
  }],
  // `--id -`: a lone dash is a value.
  [["--id", "-"], { id: "-" }],
  // An option given without a value and then again with one is fine for --listen.
  [["--listen", "--listen", "81"], {
    listen: [{
      address: { kind: "tcp", hostname: "0.0.0.0", port: 81 },
      mode: "stream",
      tls: false,
    }],
  }],
];

for (const [args, expected] of VALID) {
  Deno.test(`parseCommandLine() accepts ${JSON.stringify(args)}`, () => {
    assert.deepEqual(run(args), { ...DEFAULTS, ...expected });
  });
}

Deno.test("VERSION is 1.9.1", () => assert.equal(VERSION, "1.9.1"));

// ---------------------------------------------------------------------------
// Command lines Condure refuses. `stdout`/`stderr` are exact after timestamps are replaced
// by `<ts>`; each case also runs against the real Condure when it is installed.

interface Refusal {
  args: string[];
  code: number;
  stdout?: string;
  stderr?: string;
}

const HINT = "\n\nFor more information try --help\n";
const unexpected = (arg: string, extra = "", usage = "condure [OPTIONS]") =>
  `error: Found argument '${arg}' which wasn't expected, or isn't valid in this context${extra}${
    arg.startsWith("-")
      ? `\n\n\tIf you tried to supply \`${arg}\` as a value rather than a flag, use \`-- ${arg}\``
      : ""
  }\n\nUSAGE:\n    ${usage}${HINT}`;
const noValue = (arg: string) =>
  `error: The argument '${arg}' requires a value but none was supplied${HINT}`;
const twice = (arg: string) =>
  `error: The argument '${arg}' was provided more than once, but cannot be used multiple times\n\nUSAGE:\n    condure [OPTIONS]${HINT}`;
const noValueWanted = (value: string, arg: string) =>
  `error: The value '${value}' was provided to '${arg}' but it wasn't expecting any more values\n\ncondure [OPTIONS]${HINT}`;
const suggest = (name: string) => `\n\n\tDid you mean '--${name}'?`;
const LISTEN = "--listen <[addr:]port[,params...]>...";

const REFUSALS: Refusal[] = [
  // clap usage errors: stderr, exit 2
  { args: ["--foo"], code: 2, stderr: unexpected("--foo") },
  { args: ["--foo=bar"], code: 2, stderr: unexpected("--foo") },
  { args: ["foo"], code: 2, stderr: unexpected("foo") },
  { args: ["-x"], code: 2, stderr: unexpected("-x") },
  { args: ["-xh"], code: 2, stderr: unexpected("-x") },
  { args: ["-"], code: 2, stderr: unexpected("-") },
  { args: [""], code: 2, stderr: unexpected("") },
  { args: ["---id", "x"], code: 2, stderr: unexpected("---id") },
  { args: ["--Id", "x"], code: 2, stderr: unexpected("--Id") },
  { args: ["--=x"], code: 2, stderr: unexpected("--") },
  { args: ["--", "-x"], code: 2, stderr: unexpected("-x") },
  {
    args: ["--id", "a", "--", "--id", "b"],
    code: 2,
    stderr: unexpected("--id"),
  },
  { args: ["--id", "--", "x"], code: 2, stderr: unexpected("x") },
  {
    args: ["--listen", "1", "--", "1,foo"],
    code: 2,
    stderr: unexpected("1,foo"),
  },
  { args: ["--listen=1", "1,foo"], code: 2, stderr: unexpected("1,foo") },
  { args: ["--id", "x", "foo"], code: 2, stderr: unexpected("foo") },
  { args: ["--log-level", "-1"], code: 2, stderr: unexpected("-1") },
  { args: ["--id", "-x"], code: 2, stderr: unexpected("-x") },
  {
    args: ["--id", "x", "--foo"],
    code: 2,
    stderr: unexpected("--foo", "", "condure --id <ID>"),
  },
  {
    args: ["--work", "2"],
    code: 2,
    stderr: unexpected("--work", suggest("workers"), "condure --workers <N>"),
  },
  {
    args: ["--work=2"],
    code: 2,
    stderr: unexpected("--work", suggest("workers"), "condure --workers <N>"),
  },
  {
    args: ["--workers", "2", "--id", "x", "--work", "2"],
    code: 2,
    stderr: unexpected(
      "--work",
      suggest("workers"),
      "condure --workers <N> --id <ID>",
    ),
  },
  {
    args: ["--listen", "1", "--listen", "2", "--id", "x", "--lis"],
    code: 2,
    stderr: unexpected(
      "--lis",
      suggest("listen"),
      `condure ${LISTEN} --id <ID>`,
    ),
  },
  {
    args: ["--zclient-connect", "--zclient"],
    code: 2,
    stderr: unexpected(
      "--zclient",
      suggest("zclient-req"),
      "condure --zclient-connect --zclient-req <spec>...",
    ),
  },
  {
    args: ["--stream-maxconn", "2", "--stream"],
    code: 2,
    stderr: unexpected(
      "--stream",
      suggest("stream-timeout"),
      "condure --stream-maxconn <N> --stream-timeout <N>",
    ),
  },
  {
    args: ["--hel"],
    code: 2,
    stderr: unexpected("--hel", suggest("help"), "condure --help"),
  },
  {
    args: ["--versio"],
    code: 2,
    stderr: unexpected("--versio", suggest("version"), "condure --version"),
  },
  {
    args: ["--comp"],
    code: 2,
    stderr: unexpected(
      "--comp",
      suggest("compression"),
      "condure --compression",
    ),
  },
  {
    args: ["--id", "a", "--listen", "1", "--workers", "2", "--ww"],
    code: 2,
    stderr: unexpected(
      "--ww",
      "",
      `condure --id <ID> ${LISTEN} --workers <N>`,
    ),
  },
  { args: ["--id"], code: 2, stderr: noValue("--id <ID>") },
  { args: ["--listen"], code: 2, stderr: noValue(LISTEN) },
  {
    args: ["--zclient-req"],
    code: 2,
    stderr: noValue("--zclient-req <spec>..."),
  },
  {
    args: ["--ipc-file-mode"],
    code: 2,
    stderr: noValue("--ipc-file-mode <octal>"),
  },
  { args: ["--id", "--workers"], code: 2, stderr: noValue("--workers <N>") },
  { args: ["--id", "--workers", "x"], code: 2, stderr: noValue("--id <ID>") },
  { args: ["--listen", "--id", "x"], code: 2, stderr: noValue(LISTEN) },
  { args: ["--listen", "1", "--id"], code: 2, stderr: noValue("--id <ID>") },
  {
    args: ["--workers", "--id", "a", "--id", "b"],
    code: 2,
    stderr: noValue("--workers <N>"),
  },
  { args: ["--id", "a", "--id", "b"], code: 2, stderr: twice("--id <ID>") },
  { args: ["--id", "a", "--id"], code: 2, stderr: twice("--id <ID>") },
  { args: ["--id", "--id", "b"], code: 2, stderr: twice("--id <ID>") },
  {
    args: ["--id", "a", "--id", "b", "--workers", "--listen", "1"],
    code: 2,
    stderr: twice("--id <ID>"),
  },
  {
    args: ["--zclient-connect", "--zclient-connect"],
    code: 2,
    stderr: twice("--zclient-connect"),
  },
  { args: ["--sizes", "--sizes"], code: 2, stderr: twice("--sizes") },
  {
    args: ["--compression=1"],
    code: 2,
    stderr: noValueWanted("1", "--compression"),
  },
  {
    args: ["--zclient-connect="],
    code: 2,
    stderr: noValueWanted("", "--zclient-connect"),
  },
  { args: ["--help=foo"], code: 2, stderr: noValueWanted("foo", "--help") },
  { args: ["--foo", "--help"], code: 2, stderr: unexpected("--foo") },

  // Value errors: logged at ERR on stdout, exit 1
  ...[
    [
      ["--id", ""],
      "failed to parse id: value cannot be empty or contain a space",
    ],
    [["--id="], "failed to parse id: value cannot be empty or contain a space"],
    [
      ["--id", "a b"],
      "failed to parse id: value cannot be empty or contain a space",
    ],
    [["--workers", "2000"], "failed to parse workers: value too large"],
    [
      ["--workers", "x"],
      "failed to parse workers: invalid digit found in string",
    ],
    [
      ["--workers", " 5"],
      "failed to parse workers: invalid digit found in string",
    ],
    [
      ["--workers=-5"],
      "failed to parse workers: invalid digit found in string",
    ],
    [
      ["--workers", "+"],
      "failed to parse workers: invalid digit found in string",
    ],
    [
      ["--workers", ""],
      "failed to parse workers: cannot parse integer from empty string",
    ],
    [
      ["--workers", "99999999999999999999999"],
      "failed to parse workers: number too large to fit in target type",
    ],
    [
      ["--log-level", "x"],
      "failed to parse log-level: invalid digit found in string",
    ],
    [
      ["--log-level", "18446744073709551616"],
      "failed to parse log-level: number too large to fit in target type",
    ],
    [
      ["--req-maxconn", "x"],
      "failed to parse req-maxconn: invalid digit found in string",
    ],
    [
      ["--stream-maxconn", "x"],
      "failed to parse stream-maxconn: invalid digit found in string",
    ],
    [
      ["--buffer-size", "1k"],
      "failed to parse buffer-size: invalid digit found in string",
    ],
    [
      ["--body-buffer-size", "x"],
      "failed to parse body-buffer-size: invalid digit found in string",
    ],
    [
      ["--messages-max", "x"],
      "failed to parse messages-max: invalid digit found in string",
    ],
    [
      ["--req-timeout", "x"],
      "failed to parse req-timeout: invalid digit found in string",
    ],
    [
      ["--stream-timeout", "1.5"],
      "failed to parse stream-timeout: invalid digit found in string",
    ],
    [
      ["--ipc-file-mode", "0o666"],
      "failed to parse ipc-file-mode: invalid digit found in string",
    ],
    [
      ["--ipc-file-mode", ""],
      "failed to parse ipc-file-mode: cannot parse integer from empty string",
    ],
    [
      ["--ipc-file-mode", "18446744073709551616"],
      "failed to parse ipc-file-mode: number too large to fit in target type",
    ],
    // order of the checks
    [
      ["--sizes", "--log-level", "x"],
      "failed to parse log-level: invalid digit found in string",
    ],
    [
      ["--workers", "x", "--log-level", "x"],
      "failed to parse log-level: invalid digit found in string",
    ],
    [
      ["--id", "", "--workers", "x"],
      "failed to parse workers: invalid digit found in string",
    ],
    [
      ["--id", "", "--workers", "2000"],
      "failed to parse id: value cannot be empty or contain a space",
    ],
    [
      ["--workers", "2000", "--req-maxconn", "x"],
      "failed to parse req-maxconn: invalid digit found in string",
    ],
    [
      ["--body-buffer-size", "x", "--buffer-size", "x"],
      "failed to parse buffer-size: invalid digit found in string",
    ],
    [
      ["--stream-timeout", "x", "--req-timeout", "x"],
      "failed to parse req-timeout: invalid digit found in string",
    ],
    [
      ["--ipc-file-mode", "x", "--stream-timeout", "x"],
      "failed to parse stream-timeout: invalid digit found in string",
    ],
    [
      ["--ipc-file-mode", "x", "--id", ""],
      "failed to parse ipc-file-mode: invalid digit found in string",
    ],
    [
      ["--id", "x", "--workers", "2000", "--req-maxconn", "10000000"],
      "failed to parse workers: value too large",
    ],
    [
      ["--req-maxconn", "10000000", "--stream-maxconn", "1"],
      "total maxconn is too large",
    ],
    [[
      "--req-maxconn",
      "5000000",
      "--stream-maxconn",
      "5000001",
      "--listen",
      "1,foo",
    ], "total maxconn is too large"],
    [[
      "--req-maxconn",
      "9990000",
      "--stream-maxconn",
      "10000",
      "--listen",
      "1,foo",
    ], "failed to parse listen: invalid param: foo"],
    [
      ["--ipc-file-mode", "18446744073709551615", "--listen", "1,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    [
      ["--workers", "+5", "--listen", "1,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    [
      ["--id", "a=b", "--listen", "1,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    // listen
    [["--listen", "1,foo"], "failed to parse listen: invalid param: foo"],
    [["--listen", "1", "1,foo"], "failed to parse listen: invalid param: foo"],
    [
      ["--listen", "1,foo", "--listen"],
      "failed to parse listen: invalid param: foo",
    ],
    [["--listen", "1", "-"], "failed to parse listen: invalid port -"],
    [["--listen", "1", ""], "failed to parse listen: invalid port "],
    [["--listen="], "failed to parse listen: invalid port "],
    [["--listen", "70000"], "failed to parse listen: invalid port 70000"],
    [["--listen", "80:"], "failed to parse listen: invalid port "],
    [
      ["--listen", "abc:80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "+80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "::1:80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "[::1]:+80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "1.2.3:80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "01.2.3.4:80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "256.0.0.1:80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "[1::2::3]:80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "[12345::]:80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "[::1.2.3.04]:80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "[fe80::1%]:80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "localhost:80"],
      "failed to parse listen: invalid socket address syntax",
    ],
    [
      ["--listen", "[::1]:8080,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    [
      ["--listen", "[fe80::1%2]:80", "--listen", "1,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    [
      ["--listen", "[::ffff:1.2.3.4]:80", "1,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    [
      ["--listen", "[1:2:3:4:5:6:7:8]:80", "1,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    [
      ["--listen", "[1:2:3:4:5:6:7::]:80", "1,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    [
      ["--listen", "1.2.3.4:0080", "0080", "1,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    [["--listen", ":80,foo"], "failed to parse listen: invalid param: foo"],
    [["--listen", ",foo"], "failed to parse listen: invalid param: foo"],
    [["--listen", "1,tls,foo"], "failed to parse listen: invalid param: foo"],
    [
      ["--listen", "1,default-cert=a,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    [
      ["--listen", "1,stream=x,foo"],
      "failed to parse listen: invalid param: foo",
    ],
    [["--listen", "1,=x"], "failed to parse listen: invalid param: =x"],
    [["--listen", "1,,stream"], "failed to parse listen: invalid param: "],
    [["--listen", "1,STREAM"], "failed to parse listen: invalid param: STREAM"],
    [["--listen", "70000,foo"], "failed to parse listen: invalid param: foo"],
  ].map(([args, message]) => ({
    args: args as string[],
    code: 1,
    stdout: err(message as string),
    stderr: "",
  })),
];

async function runCondure(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cwd = await Deno.makeTempDir({ prefix: "condure_cli_" });
  try {
    const child = new Deno.Command(CONDURE, {
      args,
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { RUST_BACKTRACE: "0" },
    }).spawn();
    // Every case fails fast; the timer only guards against a case that would start a server.
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    try {
      const out = await child.output();
      const decoder = new TextDecoder();
      return {
        code: out.code,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
      };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

for (const refusal of REFUSALS) {
  const name = JSON.stringify(refusal.args);
  Deno.test(`parseCommandLine() refuses ${name} like Condure`, () => {
    const r = parseCommandLine(refusal.args);
    assert.equal(r.kind, "exit");
    if (r.kind !== "exit") return;
    assert.equal(r.code, refusal.code);
    assert.equal(strip(r.stdout), refusal.stdout ?? "");
    assert.equal(r.stderr, refusal.stderr ?? "");
  });
  Deno.test({
    name: `condure 1.9.1 refuses ${name} as we do`,
    ignore: !haveCondure,
    async fn() {
      const real = await runCondure(refusal.args);
      const ours = parseCommandLine(refusal.args);
      assert.equal(ours.kind, "exit");
      if (ours.kind !== "exit") return;
      assert.deepEqual(
        { code: ours.code, stdout: strip(ours.stdout), stderr: ours.stderr },
        { code: real.code, stdout: strip(real.stdout), stderr: real.stderr },
      );
    },
  });
}

// ---------------------------------------------------------------------------
// Help and version

const HELP_VERSION: Array<[string[], "help" | "version"]> = [
  [["--help"], "help"],
  [["-h"], "help"],
  [["--version"], "version"],
  [["-V"], "version"],
  [["-hV"], "help"],
  [["-Vh"], "version"],
  [["-hx"], "help"],
  [["--help", "--foo"], "help"],
  [["--version", "--workers", "x"], "version"],
  [["--workers", "x", "--help"], "help"],
  [["--id", "a", "--id", "b", "--help"], "help"],
  [["--id", "--help"], "help"],
  [["--help", "--help"], "help"],
  [["-V", "--help"], "version"],
];

for (const [args, which] of HELP_VERSION) {
  Deno.test(`parseCommandLine() prints ${which} for ${JSON.stringify(args)}`, () => {
    const r = parseCommandLine(args);
    assert.equal(r.kind, "exit");
    if (r.kind !== "exit") return;
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "");
    if (which === "version") assert.equal(r.stdout, "condure 1.9.1\n");
    else {assert.match(
        r.stdout,
        /^condure 1\.9\.1\nHTTP\/WebSocket connection manager\n/,
      );}
  });
  Deno.test({
    name: `condure 1.9.1 prints the same for ${JSON.stringify(args)}`,
    ignore: !haveCondure,
    async fn() {
      const real = await runCondure(args);
      const ours = parseCommandLine(args);
      assert.equal(ours.kind, "exit");
      if (ours.kind !== "exit") return;
      assert.deepEqual(
        { code: ours.code, stdout: ours.stdout, stderr: ours.stderr },
        real,
      );
    },
  });
}

Deno.test("parseCommandLine() `--sizes` exits 0 without starting", () => {
  assert.deepEqual(parseCommandLine(["--sizes", "--workers", "x"]), {
    kind: "exit",
    code: 0,
    stdout: "",
    stderr: "",
  });
});

Deno.test("parseCommandLine() refuses `--workers 0` (Condure 1.9.1 crashes)", () => {
  const r = parseCommandLine(["--workers", "0"]);
  assert.equal(r.kind, "exit");
  if (r.kind !== "exit") return;
  assert.equal(r.code, 1);
  assert.equal(
    strip(r.stdout),
    err("failed to parse workers: value cannot be zero"),
  );
  assert.equal(r.stderr, "");
});

// ---------------------------------------------------------------------------
// Start-up checks (Condure logs `starting...` first, then the error, exit 1)

// Condure derives and binds each stream base in turn, so bases before the bad one get their
// `zhttp client bind` line (third element) before the error; startupError() checks them all
// before anything is bound.
const STARTUP: Array<[string[], string, string?]> = [
  [
    ["--stream-maxconn", "1", "--workers", "2"],
    "stream maxconn must be >= workers",
  ],
  [["--req-maxconn", "1"], "req maxconn must be >= workers"],
  [
    ["--req-maxconn", "1", "--stream-maxconn", "1"],
    "req maxconn must be >= workers",
  ],
  [
    ["--stream-maxconn", "1", "--zclient-stream", "foo"],
    "stream maxconn must be >= workers",
  ],
  [
    ["--listen", "127.0.0.1:0,req", "--stream-maxconn", "1"],
    "stream maxconn must be >= workers",
  ],
  [["--zclient-stream", "inproc://x"], "base spec must be ipc or tcp"],
  [["--zclient-stream", "IPC://x"], "base spec must be ipc or tcp"],
  [
    ["--zclient-stream", "ipc://x", "--zclient-stream", "foo"],
    "base spec must be ipc or tcp",
    "[INFO] <ts> [condure::app] zhttp client bind ipc://x-out ipc://x-out-stream ipc://x-in\n",
  ],
  [
    ["--zclient-stream", "tcp://127.0.0.1", "--listen", "127.0.0.1:0"],
    "error parsing tcp port in base spec: invalid digit found in string",
  ],
  [
    ["--zclient-stream", "tcp://127.0.0.1:", "--listen", "127.0.0.1:0"],
    "error parsing tcp port in base spec: cannot parse integer from empty string",
  ],
  [
    ["--zclient-stream", "tcp://127.0.0.1:70000", "--listen", "127.0.0.1:0"],
    "error parsing tcp port in base spec: number too large to fit in target type",
  ],
];

for (const [args, message, bound = ""] of STARTUP) {
  Deno.test(`startupError() reports "${message}" for ${JSON.stringify(args)}`, () => {
    assert.equal(startupError(run(args)), message);
  });
  Deno.test({
    name: `condure 1.9.1 fails at start-up for ${
      JSON.stringify(args)
    } as we do`,
    ignore: !haveCondure,
    async fn() {
      const real = await runCondure(args);
      assert.deepEqual(
        { code: real.code, stdout: strip(real.stdout), stderr: real.stderr },
        {
          code: 1,
          stdout: `[INFO] <ts> [condure] starting...\n${bound}${err(message)}`,
          stderr: "",
        },
      );
    },
  });
}

Deno.test("startupError() accepts the defaults and a req-only listener with any stream base", () => {
  assert.equal(startupError(run([])), null);
  assert.equal(
    startupError(run(["--listen", "1,req", "--zclient-stream", "inproc://x"])),
    null,
  );
  assert.equal(startupError(run(["--zclient-req", "inproc://x"])), null);
});

Deno.test("streamSpecs() derives the three specs as Condure does", () => {
  assert.deepEqual(streamSpecs("ipc://client"), {
    out: "ipc://client-out",
    outStream: "ipc://client-out-stream",
    in: "ipc://client-in",
  });
  assert.deepEqual(streamSpecs("tcp://127.0.0.1:+0500"), {
    out: "tcp://127.0.0.1:500",
    outStream: "tcp://127.0.0.1:501",
    in: "tcp://127.0.0.1:502",
  });
  assert.deepEqual(streamSpecs("tcp:80"), {
    out: "tcp:80",
    outStream: "tcp:81",
    in: "tcp:82",
  });
  assert.throws(() => streamSpecs("tcp://h:65534"), {
    name: "TypeError",
    message:
      "error parsing tcp port in base spec: number too large to fit in target type",
  });
  assert.throws(() => streamSpecs("inproc://x"), {
    name: "TypeError",
    message: "base spec must be ipc or tcp",
  });
});

// ---------------------------------------------------------------------------
// Listen specs

Deno.test("parseListenSpec() reads params, last mode wins, local ignores tls", () => {
  assert.deepEqual(parseListenSpec("9000,req,stream,req"), {
    address: { kind: "tcp", hostname: "0.0.0.0", port: 9000 },
    mode: "req",
    tls: false,
  });
  assert.deepEqual(parseListenSpec("1.2.3.4:443,tls,default-cert"), {
    address: { kind: "tcp", hostname: "1.2.3.4", port: 443 },
    mode: "stream",
    tls: true,
    defaultCert: "",
  });
  assert.deepEqual(parseListenSpec("/tmp/s,tls,local,default-cert=x"), {
    address: { kind: "unix", path: "/tmp/s" },
    mode: "stream",
    tls: false,
  });
  assert.deepEqual(parseListenSpec("80,mode=600"), {
    address: { kind: "tcp", hostname: "0.0.0.0", port: 80 },
    mode: "stream",
    tls: false,
  });
});

Deno.test("parseListenSpec() normalizes IPv6 as Rust displays it", () => {
  const host = (text: string) => {
    const a = parseListenSpec(text).address;
    return a.kind === "tcp" ? a.hostname : a.path;
  };
  assert.equal(host("[0:0:0:0:0:0:0:1]:1"), "::1");
  assert.equal(host("[::]:1"), "::");
  assert.equal(host("[FE80:0:0:0:1:0:0:1%3]:1"), "fe80::1:0:0:1%3");
  assert.equal(host("[1:0:0:2:0:0:0:3]:1"), "1:0:0:2::3");
  assert.equal(host("[::ffff:10.0.0.1]:1"), "::ffff:10.0.0.1");
  assert.equal(host("[1::]:1"), "1::");
});

Deno.test("parseListenSpec() throws TypeError with Condure's texts", () => {
  const cases: Array<[string, string]> = [
    ["1,foo", "failed to parse listen: invalid param: foo"],
    ["70000", "failed to parse listen: invalid port 70000"],
    ["abc:80", "failed to parse listen: invalid socket address syntax"],
    ["/s,local,mode=8", "failed to parse mode: invalid digit found in string"],
    [
      "/s,local,mode=",
      "failed to parse mode: cannot parse integer from empty string",
    ],
    [
      "/s,local,mode=77777777777",
      "failed to parse mode: number too large to fit in target type",
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseListenSpec(text), { name: "TypeError", message });
  }
});

// ---------------------------------------------------------------------------
// Unsupported features

Deno.test("checkSupported() names each unsupported feature in use", () => {
  const cases: Array<[string[], string | null]> = [
    [[], null],
    [["--listen", "/s,local"], null],
    [["--listen", "443,tls"], 'tls (listen param "tls") is not supported yet'],
    [
      ["--listen", "443,default-cert=x"],
      'default-cert (listen param "default-cert=") is not supported yet',
    ],
    [["--compression"], "compression (--compression) is not supported yet"],
    [
      ["--listen", "80,req"],
      'req mode (listen param "req") is not supported yet',
    ],
  ];
  for (const [args, expected] of cases) {
    const feature = expected?.split(" ")[0];
    if (feature !== undefined && !UNSUPPORTED.has(feature as "tls")) continue;
    assert.equal(checkSupported(run(args)), expected, JSON.stringify(args));
  }
  assert.equal(checkSupported(run(["--compression"]), new Set()), null);
});

// ---------------------------------------------------------------------------
// Suggestions

Deno.test("didYouMean() picks clap's candidate", () => {
  const longs = [
    "help",
    "version",
    "id",
    "workers",
    "zclient-req",
    "zclient-stream",
    "zclient-connect",
  ];
  assert.equal(didYouMean("work", longs), "workers");
  assert.equal(didYouMean("zclient", longs), "zclient-req");
  assert.equal(didYouMean("-id", longs), undefined);
  assert.equal(didYouMean("Id", longs), undefined);
  assert.equal(didYouMean("", longs), undefined);
  assert.ok(jaroWinkler("martha", "marhta") > 0.96);
});

// ---------------------------------------------------------------------------
// Differential: random command lines from a pool of awkward tokens. Condure only runs for
// vectors we refuse (so it fails fast too); one that started would be killed by the timer.

const POOL = [
  "--id",
  "--id=",
  "--id=a",
  "a",
  "",
  "-",
  "--",
  "--workers",
  "x",
  "0",
  "3",
  "2000",
  "+1",
  "--listen",
  "--listen=",
  "1,foo",
  "127.0.0.1:0",
  "[::1]:0,req",
  "70000",
  "--zclient-req",
  "--zclient-stream",
  "foo",
  "ipc://q",
  "--zclient-connect",
  "--compression",
  "--sizes",
  "--log-level",
  "-1",
  "--lis",
  "--wor",
  "--zclient",
  "-h",
  "-V",
  "-x",
  "--help=1",
  "--req-maxconn",
  "1",
  "--stream-maxconn",
  "--ipc-file-mode",
  "--buffer-size",
  "--tls-identities-dir",
  "--stream-t",
  "--messages",
  "--body",
];

Deno.test({
  name:
    "condure 1.9.1 and parseCommandLine() agree on random refused command lines",
  ignore: !haveCondure,
  async fn() {
    let seed = 20261127;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let compared = 0;
    for (let i = 0; i < 150; i++) {
      const args = Array.from(
        { length: 1 + next(5) },
        () => POOL[next(POOL.length)]!,
      );
      const ours = parseCommandLine(args);
      let expected: { code: number; stdout: string; stderr: string };
      if (ours.kind === "run") {
        const message = startupError(ours.config);
        if (message === null) continue; // Condure would start a server
        const starting = ours.config.logLevel >= 2
          ? "[INFO] <ts> [condure] starting...\n"
          : "";
        expected = { code: 1, stdout: starting + err(message), stderr: "" };
      } else {
        // Our documented deviations: `--sizes` output and `--workers 0`.
        if (ours.code === 0 && args.includes("--sizes")) continue;
        if (ours.stdout.includes("value cannot be zero")) continue;
        expected = {
          code: ours.code,
          stdout: strip(ours.stdout),
          stderr: ours.stderr,
        };
      }
      const real = await runCondure(args);
      assert.deepEqual(
        { code: real.code, stdout: strip(real.stdout), stderr: real.stderr },
        expected,
        JSON.stringify(args),
      );
      compared++;
    }
    assert.ok(compared > 100, `only ${compared} vectors compared`);
  },
});
