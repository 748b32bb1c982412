/**
 * Test helper: an external ZeroMQ peer process (pyzmq under /usr/bin/python3)
 * that prints every message it receives and sends the messages written to it.
 *
 * @module
 */

export const PYTHON = "/usr/bin/python3";

const SCRIPT = String.raw`
import argparse, json, os, sys, time
import zmq
from zmq.utils.monitor import recv_monitor_message

p = argparse.ArgumentParser()
p.add_argument("kind")
p.add_argument("endpoints")
p.add_argument("--id")
p.add_argument("--bind", action="store_true")
p.add_argument("--rcvhwm", type=int)
p.add_argument("--subscribe", default="")
p.add_argument("--settle", type=float, default=0.0)
p.add_argument("--no-wait", action="store_true")
p.add_argument("--hold", type=float, default=0.0)
p.add_argument("--short", action="store_true")
p.add_argument("--flood")
a = p.parse_args()

ctx = zmq.Context()
s = ctx.socket(getattr(zmq, a.kind))
if a.id is not None:
    s.setsockopt(zmq.IDENTITY, a.id.encode())
if a.rcvhwm is not None:
    s.setsockopt(zmq.RCVHWM, a.rcvhwm)
if a.kind == "SUB":
    s.setsockopt(zmq.SUBSCRIBE, a.subscribe.encode())
endpoints = a.endpoints.split(",")
mon = None
if not a.bind and not a.no_wait:
    mon = s.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
for e in endpoints:
    s.bind(e) if a.bind else s.connect(e)
if mon is not None:
    done = 0
    while done < len(endpoints):
        if recv_monitor_message(mon)["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            done += 1
if a.settle:
    time.sleep(a.settle)
print("ready", flush=True)
if a.flood is not None:
    while True:
        s.send(a.flood.encode())
        time.sleep(0.001)

poller = zmq.Poller()
poller.register(s, zmq.POLLIN)
poller.register(0, zmq.POLLIN)
buf = b""
while True:
    for sock, ev in poller.poll():
        if sock is s:
            while True:
                try:
                    frames = s.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                if a.short:
                    frames = [f[:32] for f in frames]
                print("recv " + json.dumps([f.hex() for f in frames]), flush=True)
                if a.hold:
                    time.sleep(a.hold)
                    a.hold = 0
        else:
            data = os.read(0, 65536)
            if not data:
                sys.exit(0)
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                s.send_multipart([bytes.fromhex(x) for x in json.loads(line)])
                print("sent", flush=True)
`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

/** Options of {@linkcode Peer.start}. */
export interface PeerOptions {
  /** pyzmq socket type name, e.g. "PULL". */
  kind: string;
  /** Endpoints to connect to (or bind with `bind`). */
  endpoints: string[];
  /** ZMQ identity. */
  id?: string;
  bind?: boolean;
  rcvHwm?: number;
  /** SUB prefix (default: everything). */
  subscribe?: string;
  /** Seconds to sleep after connecting before "ready" (PUB subscriptions). */
  settle?: number;
  /** Don't wait for the handshake before "ready" (peer's server not bound). */
  noWait?: boolean;
  /** Seconds to sleep after the first message before reading on. */
  hold?: number;
  /** Report only the first 32 bytes of each received frame. */
  short?: boolean;
  /** Send this one-frame message every millisecond, forever. */
  flood?: string;
}

/** A running peer process. */
export class Peer implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: string[] = [];
  #waiter: (() => void) | undefined;
  readonly #reading: Promise<void>;
  #ended = false;
  #closed = false;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reading = this.#read();
  }

  /** Writes the script to `dir` (once) and starts a peer. */
  static start(dir: string, options: PeerOptions): Peer {
    const script = `${dir}/peer.py`;
    try {
      Deno.statSync(script);
    } catch {
      Deno.writeTextFileSync(script, SCRIPT);
    }
    const args = ["-u", script, options.kind, options.endpoints.join(",")];
    if (options.id !== undefined) args.push("--id", options.id);
    if (options.bind) args.push("--bind");
    if (options.rcvHwm !== undefined) {
      args.push("--rcvhwm", String(options.rcvHwm));
    }
    if (options.subscribe !== undefined) {
      args.push("--subscribe", options.subscribe);
    }
    if (options.settle !== undefined) {
      args.push("--settle", String(options.settle));
    }
    if (options.noWait) args.push("--no-wait");
    if (options.hold !== undefined) args.push("--hold", String(options.hold));
    if (options.short) args.push("--short");
    if (options.flood !== undefined) args.push("--flood", options.flood);
    const child = new Deno.Command(PYTHON, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    return new Peer(child);
  }

  async #read(): Promise<void> {
    let buffered = "";
    for await (const chunk of this.#child.stdout) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        this.#lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      this.#waiter?.();
    }
    this.#ended = true;
    this.#waiter?.();
  }

  /** The next line printed by the peer; throws after `timeoutMs`. */
  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (this.#ended) throw new Error("peer exited");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for the peer");
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#waiter = undefined;
    }
    return this.#lines.shift()!;
  }

  /** Waits for the peer's "ready" line (connected, handshake done). */
  async ready(timeoutMs = 5000): Promise<void> {
    const line = await this.line(timeoutMs);
    if (line !== "ready") throw new Error(`unexpected peer line: ${line}`);
  }

  /** The frames of the next message the peer received. */
  async receive(timeoutMs = 5000): Promise<Uint8Array[]> {
    for (;;) {
      const line = await this.line(timeoutMs);
      if (line === "sent") continue;
      if (!line.startsWith("recv ")) throw new Error(`unexpected: ${line}`);
      return (JSON.parse(line.slice(5)) as string[]).map(unhex);
    }
  }

  /** The next received message's frames as text. */
  async receiveText(timeoutMs = 5000): Promise<string[]> {
    return (await this.receive(timeoutMs)).map((f) => decoder.decode(f));
  }

  /** Lines printed so far and not yet read. */
  get buffered(): readonly string[] {
    return this.#lines;
  }

  /** Makes the peer send one message of `frames` (text or bytes). */
  async send(frames: (string | Uint8Array)[]): Promise<void> {
    const line = JSON.stringify(
      frames.map((f) => hex(typeof f === "string" ? encoder.encode(f) : f)),
    );
    await this.#writer.write(encoder.encode(line + "\n"));
  }

  /** Kills the peer (SIGKILL) and waits for it to exit. */
  async kill(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.#child.status;
    await this.#reading;
    await this.#writer.close().catch(() => {});
  }

  /** Same as {@linkcode kill}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.kill();
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 10 ms until it is true; throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await delay(10);
  }
}

/** A base tcp port P such that P, P+1, P+2 look free now. */
export function freeTcpBase(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    const listeners: Deno.Listener[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        listeners.push(Deno.listen({ hostname: "127.0.0.1", port: base + i }));
      }
      return base;
    } catch {
      // taken: try another
    } finally {
      listeners.forEach((l) => l.close());
    }
  }
  throw new Error("no free tcp port range");
}

/** A logger that keeps records for assertions. */
export class MemoryLogger {
  readonly records: string[] = [];
  error(message: string): void {
    this.records.push(`ERR ${message}`);
  }
  warn(message: string): void {
    this.records.push(`WARN ${message}`);
  }
  debug(message: string): void {
    this.records.push(`DEBUG ${message}`);
  }
}
