/**
 * Integration-test harness: start the server under test (the real Condure or
 * our `main.ts`), Python handlers and raw TCP clients, and clean every one of
 * them up with `await using`, even when a test fails.
 *
 * Byte strings are handled as "latin-1 strings" (one UTF-16 code unit per
 * byte, 0-255) so raw HTTP and tnetstring bodies can be compared as text.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";

/** Absolute path of the repository root. */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname
  .replace(/\/$/, "");
/** Our server's entry point. */
export const MAIN_TS = `${REPO_ROOT}/main.ts`;
/** The Python examples folder. */
export const EXAMPLES_DIR = `${REPO_ROOT}/examples`;
/** The scriptable handler driven over stdin/stdout. */
export const SCRIPTED_HANDLER =
  `${REPO_ROOT}/tests/integration/_handlers/scripted_handler.py`;
/** Debian's Python 3 with pyzmq (not the `python3` first on PATH). */
export const PYTHON = "/usr/bin/python3";
/** The real Condure 1.9.1. */
export const CONDURE_BIN = "/usr/bin/condure";

/** Which server implementation a test runs against. */
export type ServerKind = "condure" | "deno";

/**
 * The server selected by `CONDURE_UNDER_TEST` (`condure` or `deno`); by
 * default ours (`deno`) once `main.ts` exists, the real Condure before that.
 *
 * @example
 * ```ts
 * import { defaultServerKind } from "./_harness.ts";
 * const kind = defaultServerKind();
 * if (kind !== "condure" && kind !== "deno") throw new Error(kind);
 * ```
 */
export function defaultServerKind(): ServerKind {
  const env = Deno.env.get("CONDURE_UNDER_TEST");
  if (env === "condure" || env === "deno") return env;
  if (env) throw new TypeError(`Cannot use CONDURE_UNDER_TEST="${env}"`);
  return existsSync(MAIN_TS) ? "deno" : "condure";
}

/**
 * The argv that starts a server of the given kind with Condure's flags.
 *
 * @example
 * ```ts
 * import { serverCommand } from "./_harness.ts";
 * const argv = serverCommand("condure", ["--listen", "8000"]);
 * if (argv.join(" ") !== "/usr/bin/condure --listen 8000") throw new Error();
 * ```
 */
export function serverCommand(kind: ServerKind, flags: string[]): string[] {
  if (kind === "condure") return [CONDURE_BIN, ...flags];
  return [
    Deno.execPath(),
    "run",
    "--unstable-net",
    "--allow-all",
    MAIN_TS,
    ...flags,
  ];
}

const encoder = new TextEncoder();

/**
 * Bytes as a latin-1 string (each byte one code unit).
 *
 * @example
 * ```ts
 * import { latin1 } from "./_harness.ts";
 * if (latin1(new Uint8Array([104, 0xff])) !== "h\xff") throw new Error();
 * ```
 */
export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/**
 * A latin-1 string back to bytes (code units above 255 are a TypeError).
 *
 * @example
 * ```ts
 * import { bytesOf } from "./_harness.ts";
 * if (bytesOf("h\xff")[1] !== 0xff) throw new Error();
 * ```
 */
export function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new TypeError(`Cannot encode code unit ${c} as a byte`);
    out[i] = c;
  }
  return out;
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * ```ts
 * import { delay } from "./_harness.ts";
 * await delay(1);
 * ```
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Rejects with a TimeoutError-named Error when `promise` takes longer than `ms`.
 *
 * @example
 * ```ts
 * import { withTimeout } from "./_harness.ts";
 * await withTimeout(Promise.resolve(1), 100, "one");
 * ```
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`Timed out after ${ms} ms waiting for ${what}`);
      err.name = "TimeoutError";
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A queue of items with waiters: `take()` removes and returns the first item
 * matching a predicate, waiting for it if needed.
 *
 * @example
 * ```ts
 * import { Mailbox } from "./_harness.ts";
 * const box = new Mailbox<number>();
 * box.push(1);
 * box.push(2);
 * if (await box.take((n) => n > 1) !== 2) throw new Error();
 * ```
 */
export class Mailbox<T> {
  #items: T[] = [];
  #waiters = new Set<() => void>();
  #closed = false;

  /** Everything ever pushed, in order, taken or not. */
  readonly all: T[] = [];

  /** Adds an item and wakes waiters. */
  push(item: T): void {
    this.#items.push(item);
    this.all.push(item);
    for (const wake of this.#waiters) wake();
  }

  /** Marks the end: pending and future `take()`s without a match reject. */
  close(): void {
    this.#closed = true;
    for (const wake of this.#waiters) wake();
  }

  /** Items not taken yet. */
  get pending(): readonly T[] {
    return this.#items;
  }

  /** Removes and returns the first item matching `match` (default: any). */
  async take(
    match: (item: T) => boolean = () => true,
    options: { timeoutMs?: number; what?: string } = {},
  ): Promise<T> {
    const { timeoutMs = 5000, what = "a matching item" } = options;
    let wake = () => {};
    const found = new Promise<T>((resolve, reject) => {
      wake = () => {
        const i = this.#items.findIndex(match);
        if (i >= 0) {
          // leave at once: a later synchronous push must not be taken by a settled waiter
          this.#waiters.delete(wake);
          resolve(this.#items.splice(i, 1)[0] as T);
        } else if (this.#closed) {
          this.#waiters.delete(wake);
          reject(new Error(`Closed while waiting for ${what}`));
        }
      };
    });
    this.#waiters.add(wake);
    try {
      wake();
      return await withTimeout(found, timeoutMs, what);
    } finally {
      this.#waiters.delete(wake);
    }
  }
}

/** Options for {@linkcode Child.spawn}. */
export interface SpawnOptions {
  /** Working directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Name used in error messages (default: argv[0]). */
  name?: string;
  /**
   * Run in a new session/process group (via `setsid`) so signals reach the
   * whole group, e.g. every process of a shell pipeline.
   */
  group?: boolean;
}

/**
 * A child process whose stdout/stderr are captured (stdout also split into
 * lines) and whose stdin is piped. Disposal stops it.
 *
 * @example
 * ```ts
 * import { Child } from "./_harness.ts";
 * await using child = Child.spawn(["/bin/echo", "hi"]);
 * if ((await child.lines.take()) !== "hi") throw new Error();
 * ```
 */
export class Child implements AsyncDisposable {
  #process: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stdinClosed = false;
  #readers: Promise<void>;
  #exited = false;
  #group: boolean;
  #stdout = "";
  #stderr = "";

  /** Name used in messages. */
  readonly name: string;
  /** Stdout lines as they arrive. */
  readonly lines: Mailbox<string> = new Mailbox();
  /** Resolves when the process has exited. */
  readonly status: Promise<Deno.CommandStatus>;

  private constructor(argv: string[], options: SpawnOptions) {
    const first = argv[0];
    if (first === undefined) throw new TypeError("Cannot spawn an empty argv");
    this.name = options.name ?? first;
    this.#group = options.group ?? false;
    const [cmd, ...args] = this.#group
      ? ["setsid", ...argv]
      : [first, ...argv.slice(1)];
    this.#process = new Deno.Command(cmd, {
      args,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#process.stdin.getWriter();
    this.#readers = Promise.all([
      this.#drain(this.#process.stdout, (t) => this.#onStdout(t)),
      this.#drain(this.#process.stderr, (t) => this.#stderr += t),
    ]).then(() => this.lines.close());
    this.status = this.#process.status.then((s) => {
      this.#exited = true;
      return s;
    });
  }

  /** Starts `argv[0]` with `argv[1..]`. */
  static spawn(argv: string[], options: SpawnOptions = {}): Child {
    return new Child(argv, options);
  }

  /** Process id. */
  get pid(): number {
    return this.#process.pid;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Everything written to stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  async #drain(
    stream: ReadableStream<Uint8Array>,
    sink: (text: string) => void,
  ): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      sink(decoder.decode(chunk, { stream: true }));
    }
    sink(decoder.decode());
  }

  #partial = "";
  #onStdout(text: string): void {
    this.#stdout += text;
    const parts = (this.#partial + text).split("\n");
    this.#partial = parts.pop() ?? "";
    for (const line of parts) this.lines.push(line);
  }

  /** Writes text (UTF-8) to stdin. */
  async write(text: string): Promise<void> {
    await this.#stdin.write(encoder.encode(text));
  }

  /** Closes stdin (many handlers exit on EOF). Idempotent. */
  async closeStdin(): Promise<void> {
    if (this.#stdinClosed) return;
    this.#stdinClosed = true;
    await this.#stdin.close().catch(() => {});
  }

  /** Sends a signal unless the process already exited. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited) return;
    try {
      if (this.#group) Deno.kill(-this.#process.pid, signal);
      else this.#process.kill(signal);
    } catch {
      // already gone
    }
  }

  /**
   * Stops the process: closes stdin, sends `signal` (default SIGTERM), waits
   * up to `graceMs` (default 3000), then SIGKILLs. Resolves with the status
   * once stdout/stderr are fully read. Idempotent.
   */
  async stop(
    options: { signal?: Deno.Signal | null; graceMs?: number } = {},
  ): Promise<Deno.CommandStatus> {
    const { signal = "SIGTERM", graceMs = 3000 } = options;
    await this.closeStdin();
    if (signal !== null) this.kill(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.kill("SIGKILL");
        resolve();
      }, graceMs);
    });
    await Promise.race([this.status, killed]);
    clearTimeout(timer);
    const status = await this.status;
    // a group's other members (e.g. the rest of a pipeline) may outlive its leader
    if (this.#group) {
      try {
        Deno.kill(-this.#process.pid, "SIGKILL");
      } catch {
        // group already empty
      }
    }
    await this.#readers;
    return status;
  }

  /** Stops the process (see {@linkcode Child.stop}). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Starts a Python script with Debian's python3 (pyzmq available).
 *
 * @example
 * ```ts ignore
 * import { EXAMPLES_DIR, startPython } from "./_harness.ts";
 * await using p = startPython(`${EXAMPLES_DIR}/printreq.py`, [], { cwd: "/tmp" });
 * ```
 */
export function startPython(
  script: string,
  args: string[],
  options: SpawnOptions = {},
): Child {
  return Child.spawn([PYTHON, "-u", script, ...args], {
    name: script.split("/").pop() ?? script,
    ...options,
    // no __pycache__ dirs in the repository
    env: { PYTHONDONTWRITEBYTECODE: "1", ...options.env },
  });
}

/**
 * A temporary directory removed (recursively) on disposal.
 *
 * @example
 * ```ts
 * import { TempDir } from "./_harness.ts";
 * await using dir = await TempDir.create();
 * await Deno.writeTextFile(`${dir.path}/x`, "x");
 * ```
 */
export class TempDir implements AsyncDisposable {
  /** Absolute path. */
  readonly path: string;
  private constructor(path: string) {
    this.path = path;
  }
  /** Creates a fresh directory under /tmp (short, for ipc path limits). */
  static async create(prefix = "cit-"): Promise<TempDir> {
    return new TempDir(await Deno.makeTempDir({ dir: "/tmp", prefix }));
  }
  /** Removes the directory. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.path, { recursive: true }).catch(() => {});
  }
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1.
 *
 * @example
 * ```ts
 * import { freePort } from "./_harness.ts";
 * const port = freePort();
 * if (port <= 0) throw new Error();
 * ```
 */
export function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

/**
 * Whether some socket is in LISTEN state on `port` (reads /proc/net/tcp*,
 * so probing has no side effect on the server, unlike a test connection
 * that would consume a session id).
 *
 * @example
 * ```ts
 * import { isListening } from "./_harness.ts";
 * using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * if (!isListening(l.addr.port)) throw new Error();
 * ```
 */
export function isListening(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")} `;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "0A" && `${cols[1]} `.endsWith(hex)) return true;
    }
  }
  return false;
}

/** Options for {@linkcode Server.start}. */
export interface ServerOptions {
  /** Which implementation (default {@linkcode defaultServerKind}). */
  kind?: ServerKind;
  /** Add a stream-mode listener (default true). */
  stream?: boolean;
  /** Add a req-mode listener (default false). */
  req?: boolean;
  /** `--workers` (default 1, so ids are deterministic). */
  workers?: number;
  /** `--zclient-stream` value (default `ipc://<dir>/client`). */
  zclientStream?: string;
  /** `--zclient-req` value (default `ipc://<dir>/req`). */
  zclientReq?: string;
  /** More flags appended after the generated ones. */
  extraFlags?: string[];
  /** `--log-level` (default 2). */
  logLevel?: number;
}

/**
 * A running server (Condure or ours) in its own temp dir (also its cwd),
 * listening on 127.0.0.1 on free ports. Disposal stops it and removes the dir.
 *
 * @example
 * ```ts ignore
 * import { Server } from "./_harness.ts";
 * await using server = await Server.start({ kind: "condure" });
 * console.log(server.port, server.streamBase);
 * ```
 */
export class Server implements AsyncDisposable {
  /** Implementation. */
  readonly kind: ServerKind;
  /** Temp dir and cwd. */
  readonly dir: TempDir;
  /** The process. */
  readonly child: Child;
  /** Stream-mode listen port (0 if none). */
  readonly port: number;
  /** Req-mode listen port (0 if none). */
  readonly reqPort: number;
  /** Stream spec base as given to the server. */
  readonly streamBase: string;
  /** Req spec as given to the server. */
  readonly reqSpec: string;
  /** The full argv. */
  readonly argv: string[];

  private constructor(init: Omit<Server, "stop" | typeof Symbol.asyncDispose>) {
    this.kind = init.kind;
    this.dir = init.dir;
    this.child = init.child;
    this.port = init.port;
    this.reqPort = init.reqPort;
    this.streamBase = init.streamBase;
    this.reqSpec = init.reqSpec;
    this.argv = init.argv;
  }

  /** Starts a server and waits until its listeners are up. */
  static async start(options: ServerOptions = {}): Promise<Server> {
    const kind = options.kind ?? defaultServerKind();
    const dir = await TempDir.create();
    try {
      const port = options.stream === false ? 0 : freePort();
      const reqPort = options.req ? freePort() : 0;
      const streamBase = options.zclientStream ?? `ipc://${dir.path}/client`;
      const reqSpec = options.zclientReq ?? `ipc://${dir.path}/req`;
      const flags = [
        "--log-level",
        String(options.logLevel ?? 2),
        "--workers",
        String(options.workers ?? 1),
      ];
      if (port) {
        flags.push(
          "--listen",
          `127.0.0.1:${port},stream`,
          "--zclient-stream",
          streamBase,
        );
      }
      if (reqPort) {
        flags.push(
          "--listen",
          `127.0.0.1:${reqPort},req`,
          "--zclient-req",
          reqSpec,
        );
      }
      flags.push(...(options.extraFlags ?? []));
      const argv = serverCommand(kind, flags);
      const child = Child.spawn(argv, { cwd: dir.path, name: kind });
      const server = new Server({
        kind,
        dir,
        child,
        port,
        reqPort,
        streamBase,
        reqSpec,
        argv,
      });
      try {
        await server.#waitListening([port, reqPort].filter((p) => p > 0));
      } catch (err) {
        await server[Symbol.asyncDispose]();
        throw err;
      }
      return server;
    } catch (err) {
      await dir[Symbol.asyncDispose]();
      throw err;
    }
  }

  async #waitListening(ports: number[], timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ports.every(isListening)) {
      if (this.child.exited) {
        throw new Error(
          `${this.kind} exited before listening: ${this.child.stdout}${this.child.stderr}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${this.kind} did not listen on ${ports} within ${timeoutMs} ms`,
        );
      }
      await delay(20);
    }
  }

  /** SIGTERM, wait, SIGKILL fallback; returns the exit status. */
  stop(): Promise<Deno.CommandStatus> {
    return this.child.stop({ graceMs: 5000 });
  }

  /** Stops the server and removes its directory. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.stop();
    } finally {
      await this.dir[Symbol.asyncDispose]();
    }
  }
}

/**
 * A raw TCP client. A background loop collects every byte received; waits
 * are predicates over the latin-1 text received so far.
 *
 * @example
 * ```ts ignore
 * import { RawClient } from "./_harness.ts";
 * await using c = await RawClient.connect(8000);
 * await c.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
 * const head = await c.readUntil((t) => t.includes("\r\n\r\n"));
 * ```
 */
export class RawClient implements AsyncDisposable {
  #conn: Deno.Conn;
  #loop: Promise<void>;
  #chunks: string[] = [];
  #text = "";
  #waiters = new Set<() => void>();
  #closed = false;
  #reset = false;
  #disposed = false;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#loop = this.#readLoop();
  }

  /** Connects to 127.0.0.1 (or `hostname`). */
  static async connect(
    port: number,
    hostname = "127.0.0.1",
  ): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname, port }));
  }

  /** Connects to a Unix-domain stream socket at `path`. */
  static async connectUnix(path: string): Promise<RawClient> {
    return new RawClient(await Deno.connect({ transport: "unix", path }));
  }

  /** The local port of this connection (the server's `peer-port`; 0 for Unix sockets). */
  get localPort(): number {
    const addr = this.#conn.localAddr;
    return addr.transport === "tcp" ? addr.port : 0;
  }

  /** Everything received so far (latin-1). */
  get text(): string {
    if (this.#chunks.length) {
      this.#text += this.#chunks.join("");
      this.#chunks = [];
    }
    return this.#text;
  }

  /** Whether the peer closed (EOF or reset). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the connection ended with an error (e.g. ECONNRESET). */
  get reset(): boolean {
    return this.#reset;
  }

  async #readLoop(): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      while (true) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#chunks.push(latin1(buf.subarray(0, n)));
        for (const wake of this.#waiters) wake();
      }
    } catch {
      if (!this.#disposed) this.#reset = true;
    }
    this.#closed = true;
    for (const wake of this.#waiters) wake();
  }

  /** Writes a latin-1 string or bytes. Errors (peer gone) are swallowed. */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? bytesOf(data) : data;
    try {
      for (let off = 0; off < bytes.length;) {
        off += await this.#conn.write(bytes.subarray(off));
      }
    } catch {
      // the server may have closed; tests observe that through reads
    }
  }

  /** Half-closes the write side. */
  async closeWrite(): Promise<void> {
    await this.#conn.closeWrite().catch(() => {});
  }

  /**
   * Waits until `done(text, closed)` holds for everything received so far;
   * returns the text. Rejects on timeout (default 5000 ms).
   */
  async until(
    done: (text: string, closed: boolean) => boolean,
    options: { timeoutMs?: number; what?: string } = {},
  ): Promise<string> {
    const { timeoutMs = 5000, what = "client data" } = options;
    let wake = () => {};
    const reached = new Promise<string>((resolve) => {
      wake = () => {
        const text = this.text;
        if (done(text, this.#closed)) resolve(text);
      };
    });
    this.#waiters.add(wake);
    try {
      wake();
      return await withTimeout(
        reached,
        timeoutMs,
        `${what} (got ${JSON.stringify(this.text)})`,
      );
    } finally {
      this.#waiters.delete(wake);
    }
  }

  /** Waits until the received text contains `needle` (or the peer closed if `orClose`). */
  readUntil(
    needle: string,
    options: { timeoutMs?: number } = {},
  ): Promise<string> {
    return this.until((t) => t.includes(needle), {
      ...options,
      what: JSON.stringify(needle),
    });
  }

  /** Waits for at least `n` bytes. */
  readBytes(n: number, options: { timeoutMs?: number } = {}): Promise<string> {
    return this.until((t) => t.length >= n, { ...options, what: `${n} bytes` });
  }

  /** Waits until the server closes the connection; returns all text. */
  readUntilClose(options: { timeoutMs?: number } = {}): Promise<string> {
    return this.until((_, closed) => closed, {
      ...options,
      what: "connection close",
    });
  }

  /** Closes the connection and ends the read loop. Idempotent. */
  async close(): Promise<void> {
    if (!this.#disposed) {
      this.#disposed = true;
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
    }
    await this.#loop;
  }

  /** Closes the connection. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A tnetstring value as the scripted handler exchanges it (bytes = latin-1 strings). */
export type TnValue = string | number | boolean | null | TnValue[] | {
  [key: string]: TnValue;
};

/** A tnetstring map. */
export type Packet = { [key: string]: TnValue };

/** One message the scripted handler received. */
export interface HandlerMessage {
  /** Receiving socket: PULL (first packets), DEALER (later packets), ROUTER (req mode). */
  sock: "pull" | "dealer" | "router";
  /** DEALER identity that received it. */
  identity?: string;
  /** Raw frames (latin-1). */
  frames: string[];
  /** The decoded `T…` payload of the last frame, or null if not a tnetstring map. */
  packet: Packet | null;
}

/** Options for {@linkcode ScriptedHandler.start}. */
export interface ScriptedHandlerOptions {
  /** Stream spec base to connect PULL/DEALER/PUB to. */
  stream?: string;
  /** Req spec to connect a ROUTER to. */
  req?: string;
  /** Handler address, also the DEALER identity (default `h1`). */
  from?: string;
  /** Manager instance id used as the PUB prefix (default `condure`). */
  instance?: string;
  /** Working directory. */
  cwd?: string;
}

/**
 * Drives `_handlers/scripted_handler.py`: every message it receives is
 * available through {@linkcode ScriptedHandler.next}; commands send exact packets.
 *
 * @example
 * ```ts ignore
 * import { ScriptedHandler, Server } from "./_harness.ts";
 * await using server = await Server.start();
 * await using h = await ScriptedHandler.start({ stream: server.streamBase });
 * const req = await h.next((m) => m.sock === "pull");
 * await h.send({ from: "h1", id: req.packet!.id!, code: 200, reason: "OK" });
 * ```
 */
export class ScriptedHandler implements AsyncDisposable {
  #child: Child;
  #n = 0;
  #messages = new Mailbox<HandlerMessage>();
  #acks = new Mailbox<{ ack: number; error?: string }>();
  #pump: Promise<void>;
  #ready: Promise<void>;

  private constructor(child: Child) {
    this.#child = child;
    let ready = () => {};
    this.#ready = new Promise((resolve) => ready = resolve);
    this.#pump = (async () => {
      while (true) {
        let line: string;
        try {
          line = await child.lines.take(() => true, { timeoutMs: 3_600_000 });
        } catch {
          break;
        }
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.event === "ready") ready();
        else if ("ack" in msg) {
          this.#acks.push(msg as { ack: number; error?: string });
        } else this.#messages.push(msg as unknown as HandlerMessage);
      }
      this.#messages.close();
      this.#acks.close();
    })();
  }

  /** Starts the handler and waits until its sockets have settled. */
  static async start(
    options: ScriptedHandlerOptions,
  ): Promise<ScriptedHandler> {
    const args: string[] = [];
    if (options.stream) args.push("--stream", options.stream);
    if (options.req) args.push("--req", options.req);
    if (options.from) args.push("--from", options.from);
    if (options.instance) args.push("--instance", options.instance);
    const child = startPython(
      SCRIPTED_HANDLER,
      args,
      options.cwd ? { cwd: options.cwd } : {},
    );
    const handler = new ScriptedHandler(child);
    try {
      await withTimeout(handler.#ready, 10000, "scripted handler ready");
    } catch (err) {
      await handler[Symbol.asyncDispose]();
      throw new Error(`${err}\n${child.stderr}`);
    }
    return handler;
  }

  /** Every message received so far (taken or not), in order. */
  get received(): readonly HandlerMessage[] {
    return this.#messages.all;
  }

  /** Messages not yet taken by {@linkcode ScriptedHandler.next}. */
  get pending(): readonly HandlerMessage[] {
    return this.#messages.pending;
  }

  /** Takes the first not-yet-taken message matching `match`. */
  next(
    match: (m: HandlerMessage) => boolean = () => true,
    options: { timeoutMs?: number; what?: string } = {},
  ): Promise<HandlerMessage> {
    return this.#messages.take(match, {
      what: "a handler message",
      ...options,
    });
  }

  /** Takes the next message whose packet has `type` (absent/"" = data). */
  nextOfType(
    type: string,
    options: { timeoutMs?: number } = {},
  ): Promise<HandlerMessage> {
    return this.next(
      (m) => ((m.packet?.type as string | undefined) ?? "") === type,
      {
        what: `a "${type || "data"}" packet`,
        ...options,
      },
    );
  }

  async #command(cmd: Record<string, unknown>): Promise<void> {
    const n = ++this.#n;
    await this.#child.write(JSON.stringify({ ...cmd, n }) + "\n");
    const ack = await this.#acks.take((a) => a.ack === n, { what: `ack ${n}` });
    if (ack.error) throw new Error(`scripted handler: ${ack.error}`);
  }

  /** PUBlishes `"<addr> T<packet>"` (addr default: the instance id). */
  send(packet: Packet, options: { addr?: string } = {}): Promise<void> {
    return this.#command({ op: "send", packet, ...options });
  }

  /** PUBlishes one raw frame (latin-1). */
  sendRaw(frame: string): Promise<void> {
    return this.#command({ op: "send_raw", frame });
  }

  /** Req mode: replies on the ROUTER with `envelope`, "", `T<packet>`. */
  reply(envelope: string[], packet: Packet): Promise<void> {
    return this.#command({ op: "reply", envelope, packet });
  }

  /** Connects one more DEALER with the given identity (for handoff). */
  addDealer(identity: string): Promise<void> {
    return this.#command({ op: "dealer", identity });
  }

  /** Closes stdin (the handler exits) and waits; SIGKILL fallback. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#child.stop({ signal: null, graceMs: 2000 });
    await this.#pump;
  }
}

/** A parsed WebSocket frame (payload as latin-1, unmasked). */
export interface WsFrame {
  /** FIN bit. */
  fin: boolean;
  /** RSV1 bit. */
  rsv1: boolean;
  /** Opcode. */
  opcode: number;
  /** Whether the frame was masked. */
  masked: boolean;
  /** Payload (latin-1). */
  payload: string;
}

/**
 * Encodes a WebSocket frame as latin-1 (client frames are masked by default).
 *
 * @example
 * ```ts
 * import { wsFrame } from "./_harness.ts";
 * if (wsFrame(1, "hi", { mask: false }) !== "\x81\x02hi") throw new Error();
 * ```
 */
export function wsFrame(
  opcode: number,
  payload: string,
  options: { fin?: boolean; mask?: boolean; rsv1?: boolean } = {},
): string {
  const { fin = true, mask = true, rsv1 = false } = options;
  let head = String.fromCharCode((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
  const m = mask ? 0x80 : 0;
  const n = payload.length;
  if (n < 126) head += String.fromCharCode(m | n);
  else if (n < 65536) head += String.fromCharCode(m | 126, n >> 8, n & 255);
  else throw new RangeError("Cannot encode a frame of 64 KiB or more");
  if (!mask) return head + payload;
  const key = [0x12, 0x34, 0x56, 0x78];
  let body = "";
  for (let i = 0; i < n; i++) {
    body += String.fromCharCode(payload.charCodeAt(i) ^ key[i % 4]!);
  }
  return head + String.fromCharCode(...key) + body;
}

/**
 * The routing envelope of a req-mode message the handler's ROUTER received: the frames
 * before the empty delimiter, to pass back to {@linkcode ScriptedHandler.reply}.
 *
 * @example
 * ```ts
 * import { envelope } from "./_harness.ts";
 * const m = { sock: "router" as const, frames: ["peer", "", "T0:}"], packet: {} };
 * if (envelope(m).join() !== "peer") throw new Error();
 * ```
 */
export function envelope(m: HandlerMessage): string[] {
  return m.frames.slice(0, m.frames.indexOf(""));
}

/**
 * Parses complete WebSocket frames from latin-1 text; returns them and the rest.
 *
 * @example
 * ```ts
 * import { parseWsFrames } from "./_harness.ts";
 * const { frames } = parseWsFrames("\x81\x02hi");
 * if (frames[0]?.payload !== "hi") throw new Error();
 * ```
 */
export function parseWsFrames(
  text: string,
): { frames: WsFrame[]; rest: string } {
  const frames: WsFrame[] = [];
  let i = 0;
  while (i + 2 <= text.length) {
    const b0 = text.charCodeAt(i);
    const b1 = text.charCodeAt(i + 1);
    let len = b1 & 0x7f;
    let at = i + 2;
    if (len === 126) {
      if (at + 2 > text.length) break;
      len = (text.charCodeAt(at) << 8) | text.charCodeAt(at + 1);
      at += 2;
    } else if (len === 127) {
      if (at + 8 > text.length) break;
      len = 0;
      for (let k = 0; k < 8; k++) len = len * 256 + text.charCodeAt(at + k);
      at += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const key = masked ? text.slice(at, at + 4) : "";
    if (masked) at += 4;
    if (at + len > text.length) break;
    let payload = text.slice(at, at + len);
    if (masked) {
      payload = Array.from(
        payload,
        (c, k) => String.fromCharCode(c.charCodeAt(0) ^ key.charCodeAt(k % 4)),
      ).join("");
    }
    frames.push({
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      opcode: b0 & 0x0f,
      masked,
      payload,
    });
    i = at + len;
  }
  return { frames, rest: text.slice(i) };
}

/**
 * Waits until `child`'s stdout so far matches `pattern` (polling, nothing is consumed);
 * returns the match. Rejects on timeout (default 5000 ms) or when the child exits first.
 *
 * @example
 * ```ts
 * import { Child, waitForOutput } from "./_harness.ts";
 * await using child = Child.spawn(["/bin/echo", "ready"]);
 * await waitForOutput(child, /ready/);
 * ```
 */
export async function waitForOutput(
  child: Child,
  pattern: RegExp,
  options: { timeoutMs?: number } = {},
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  while (true) {
    const m = child.stdout.match(pattern);
    if (m !== null) return m;
    if (child.exited) {
      // the last output may still be in flight: one more look after it has drained
      await child.status;
      await delay(20);
      const late = child.stdout.match(pattern);
      if (late !== null) return late;
      throw new Error(
        `${child.name} exited before printing ${pattern}: ${child.stdout}${child.stderr}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${child.name} did not print ${pattern}; stdout: ${child.stdout}`,
      );
    }
    await delay(20);
  }
}

/**
 * The end (exclusive) of the one complete HTTP/1.x response that starts at `from` in latin-1
 * `text`, or -1 while incomplete. Knows `Content-Length`, `Transfer-Encoding: chunked`, and
 * bodiless 1xx/204/304 responses; any other response is complete only at `closed`.
 *
 * @example
 * ```ts
 * import { responseEnd } from "./_harness.ts";
 * const r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
 * if (responseEnd(r + "HTTP", 0) !== r.length) throw new Error();
 * ```
 */
export function responseEnd(
  text: string,
  from: number,
  closed = false,
): number {
  const headEnd = text.indexOf("\r\n\r\n", from);
  if (headEnd < 0) return -1;
  const head = text.slice(from, headEnd + 2);
  const bodyStart = headEnd + 4;
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  if ((status >= 100 && status < 200) || status === 204 || status === 304) {
    return bodyStart;
  }
  if (/\r\nTransfer-Encoding: chunked\r\n/i.test(head)) {
    let at = bodyStart;
    while (true) {
      const lineEnd = text.indexOf("\r\n", at);
      if (lineEnd < 0) return -1;
      const size = parseInt(text.slice(at, lineEnd), 16);
      if (Number.isNaN(size)) return -1;
      if (size === 0) {
        const end = text.indexOf("\r\n\r\n", lineEnd);
        return end < 0 ? -1 : end + 4;
      }
      at = lineEnd + 2 + size + 2;
      if (at > text.length) return -1;
    }
  }
  const length = /\r\nContent-Length: *(\d+)\r\n/i.exec(head);
  if (length !== null) {
    const end = bodyStart + Number(length[1]);
    return text.length >= end ? end : -1;
  }
  return closed ? text.length : -1;
}

/**
 * Waits until `client` has received `count` complete responses after byte `from` (default 0);
 * returns them in order.
 *
 * @example
 * ```ts ignore
 * import { RawClient, readResponses } from "./_harness.ts";
 * await using c = await RawClient.connect(8000);
 * await c.write("GET / HTTP/1.1\r\n\r\n");
 * const [response] = await readResponses(c, 1);
 * ```
 */
export async function readResponses(
  client: RawClient,
  count: number,
  options: { from?: number; timeoutMs?: number } = {},
): Promise<string[]> {
  const split = (text: string, closed: boolean): string[] | null => {
    const out: string[] = [];
    let at = options.from ?? 0;
    while (out.length < count) {
      const end = responseEnd(text, at, closed);
      if (end < 0) return null;
      out.push(text.slice(at, end));
      at = end;
    }
    return out;
  };
  const text = await client.until((t, closed) => split(t, closed) !== null, {
    what: `${count} complete response(s)`,
    ...(options.timeoutMs === undefined
      ? {}
      : { timeoutMs: options.timeoutMs }),
  });
  return split(text, client.closed)!;
}

/**
 * A port P on 127.0.0.1 such that P … P+count-1 were all free a moment ago (for tcp ZeroMQ
 * spec bases, which use P, P+1 and P+2).
 *
 * @example
 * ```ts
 * import { freePortRun } from "./_harness.ts";
 * const base = freePortRun(3);
 * if (base <= 0 || base + 2 > 65535) throw new Error();
 * ```
 */
export function freePortRun(count: number): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = freePort();
    if (base + count - 1 > 65535) continue;
    const held: Deno.Listener[] = [];
    try {
      for (let i = 1; i < count; i++) {
        held.push(Deno.listen({ hostname: "127.0.0.1", port: base + i }));
      }
      return base;
    } catch {
      // taken: try another base
    } finally {
      for (const l of held) l.close();
    }
  }
  throw new Error(`Cannot find ${count} consecutive free ports`);
}

/**
 * Whether the IPv6 loopback `::1` can be listened on.
 *
 * @example
 * ```ts
 * import { hasIpv6Loopback } from "./_harness.ts";
 * if (typeof hasIpv6Loopback() !== "boolean") throw new Error();
 * ```
 */
export function hasIpv6Loopback(): boolean {
  try {
    using _l = Deno.listen({ hostname: "::1", port: 0 });
    return true;
  } catch {
    return false;
  }
}

/** Condure's log line format (reference §13, §17 item 58). */
export const LOG_LINE =
  /^\[(ERR|WARN|INFO|DEBUG|TRACE)\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[[^\]]+\] /;

/** Options for {@linkcode AutoHandler.start}. */
export interface AutoHandlerOptions {
  /** Handler address and DEALER identity (default `h1`). */
  from?: string;
  /** Requests whose `uri` contains this text are held for the test (default `/hold`). */
  hold?: string;
}

/**
 * A scripted handler that answers every request packet at once with
 * `200 OK`, body `"<id> <uri>"`, except requests whose uri contains `/hold`: those go to
 * {@linkcode AutoHandler.held} for the test to answer (through {@linkcode AutoHandler.h}).
 * Disposal stops the handler.
 *
 * @example
 * ```ts ignore
 * import { AutoHandler, Server } from "./_harness.ts";
 * await using server = await Server.start();
 * await using auto = await AutoHandler.start(server.streamBase);
 * ```
 */
export class AutoHandler implements AsyncDisposable {
  /** The underlying scripted handler (for explicit packets and received messages). */
  readonly h: ScriptedHandler;
  /** Held request packets. */
  readonly held: Mailbox<Packet> = new Mailbox();
  /** Number of requests answered automatically. */
  answered = 0;
  #loop: Promise<void>;

  private constructor(h: ScriptedHandler, options: AutoHandlerOptions) {
    this.h = h;
    const from = options.from ?? "h1";
    const hold = options.hold ?? "/hold";
    this.#loop = (async () => {
      while (true) {
        let m: HandlerMessage;
        try {
          m = await h.next((x) => x.sock === "pull", { timeoutMs: 3_600_000 });
        } catch {
          return; // handler gone
        }
        const p = m.packet;
        if (p === null) continue;
        if (String(p.uri).includes(hold)) {
          this.held.push(p);
          continue;
        }
        try {
          await h.send({
            from,
            id: p.id!,
            seq: 0,
            code: 200,
            reason: "OK",
            headers: [["Content-Type", "text/plain"]],
            body: `${p.id} ${p.uri}`,
          });
          this.answered++;
        } catch {
          return;
        }
      }
    })();
  }

  /** Starts a scripted handler on `stream` (a spec base) and answers its requests. */
  static async start(
    stream: string,
    options: AutoHandlerOptions = {},
  ): Promise<AutoHandler> {
    const h = await ScriptedHandler.start({
      stream,
      ...(options.from === undefined ? {} : { from: options.from }),
    });
    return new AutoHandler(h, options);
  }

  /** Stops the handler and the answering loop. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.h[Symbol.asyncDispose]();
    await this.#loop;
    this.held.close();
  }
}
