/**
 * One worker: its listeners, its connection slots and id counter, the sessions it owns and the
 * timers that drive them. Packets to and from ZeroMQ travel as batches through a
 * {@linkcode WorkerLink}, so the same class runs inside a worker isolate or in tests.
 *
 * @module
 */

import type { Config, ListenMode, ListenSpec } from "../cli/config.ts";
import { Logger } from "../log.ts";
import type { PacketSink } from "../session/host.ts";
import { batchPackets } from "../session/keep_alive.ts";
import { ReqHttpConnection, type ReqSessionHost } from "../session/req_http.ts";
import { StreamHttpConnection } from "../session/stream_http.ts";
import type { WebSocketConfig } from "../session/websocket.ts";
import { ReadPool } from "../session/read_pool.ts";
import {
  type InboundPacket,
  parsePacket,
  ZhttpParseError,
} from "../zhttp/mod.ts";
import { BatchWriter, PacketRoute, readBatch } from "./batch.ts";
import { type ByteStream, listenTls } from "../tls/mod.ts";
import { type TimerId, TimerWheel } from "../timer/wheel.ts";
import { ClientConnection, type ConnectionHooks } from "./client_conn.ts";
import { chownSocket } from "./unix_owner.ts";

/** ZHTTP session timeout (`ZHTTP_SESSION_TIMEOUT`). */
export const SESSION_TIMEOUT_MS = 60_000;
/** How often timers are checked. */
export const TICK_MS = 1_000;

/** Where a worker's outgoing packet batches go. */
export interface WorkerLink {
  /** Sends one packed batch (see `batch.ts`) toward the ZeroMQ sockets. */
  sendBatch(batch: Uint8Array<ArrayBuffer>): void;
}

const DECODER = new TextDecoder();

/** Something connections are accepted from: a Deno listener or a TLS listener. */
interface Acceptor {
  accept(): Promise<ByteStream>;
  close(): void;
}

/** A client connection of either mode. */
type Connection = StreamHttpConnection | ReqHttpConnection;

/** Per-mode connection limit of this worker (`--stream-maxconn`/`--req-maxconn` ÷ workers). */
interface ModeLimit {
  max: number;
  count: number;
  waiters: Array<() => void>;
}

/** Describes a listen address the way Condure logs it. */
export function describeListen(spec: ListenSpec): string {
  const a = spec.address;
  if (a.kind === "unix") return `"${a.path}" (pathname)`;
  return a.hostname.includes(":")
    ? `[${a.hostname}]:${a.port}`
    : `${a.hostname}:${a.port}`;
}

/**
 * The connections of one worker.
 *
 * @example
 * ```ts ignore
 * const server = new WorkerServer(config, 0, { sendBatch: (b) => postMessage(b) });
 * await server.listen();
 * ```
 */
export class WorkerServer implements ReqSessionHost {
  readonly instanceId: Uint8Array;
  readonly bufferSize: number;
  readonly streamTimeoutMs: number;
  readonly reqTimeoutMs: number;
  readonly bodyBufferSize: number;
  readonly sessionTimeoutMs = SESSION_TIMEOUT_MS;
  readonly logger = new Logger("condure::connection");
  readonly #serverLog = new Logger("condure::server");
  readonly #config: Config;
  readonly #index: number;
  readonly #link: WorkerLink;
  readonly #out = new BatchWriter();
  #flushScheduled = false;
  #counter = 0;
  readonly #sessions = new Map<string, PacketSink>();
  /** Open connections and their entry in the timer wheel. */
  readonly #conns = new Map<Connection, TimerId>();
  /**
   * One wheel entry per connection at its {@linkcode StreamHttpConnection.nextDeadline}: a
   * tick visits only the connections that are due (or whose deadline moved on, which are then
   * put at their new deadline), never every connection.
   */
  readonly #wheel = new TimerWheel<Connection>({
    tickMs: TICK_MS,
    now: performance.now(),
  });
  /** Connections fired by the current tick (reused). */
  readonly #fired: Connection[] = [];
  readonly #onWake = (conn: StreamHttpConnection) => this.#wake(conn);
  /** Read buffers of this worker's stream connections. */
  readonly #readPool: ReadPool;
  /** Hooks shared by every connection of this worker. */
  readonly #hooks: ConnectionHooks = {
    onError: (error, io) => {
      const session = io.session as Connection | null;
      if (session !== null) this.#contain(session, error);
    },
    onClosed: (io) => this.#onClosed(io.session as Connection | null),
  };
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;
  readonly #limits: Record<ListenMode, ModeLimit>;
  /** WebSocket settings, one object shared by every connection. */
  readonly #websocket: WebSocketConfig;
  readonly #listeners: Acceptor[] = [];
  #tick: ReturnType<typeof setInterval> | undefined;
  #stopping = false;

  /** Creates worker `index` of `config`; packets go out through `link`. */
  constructor(config: Config, index: number, link: WorkerLink) {
    this.#config = config;
    this.#index = index;
    this.#link = link;
    this.instanceId = new TextEncoder().encode(config.id);
    this.bufferSize = config.bufferSize;
    this.streamTimeoutMs = config.streamTimeoutSecs * 1000;
    this.reqTimeoutMs = config.reqTimeoutSecs * 1000;
    this.bodyBufferSize = config.bodyBufferSize;
    this.#readPool = new ReadPool({ bufferSize: config.bufferSize });
    this.#websocket = {
      compression: config.compression,
      messagesMax: config.messagesMax,
    };
    const perWorker = (n: number) =>
      Math.max(1, Math.floor(n / config.workers));
    this.#limits = {
      stream: { max: perWorker(config.streamMaxconn), count: 0, waiters: [] },
      req: { max: perWorker(config.reqMaxconn), count: 0, waiters: [] },
    };
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.#conns.size;
  }

  /** Binds every listen port this worker serves and starts accepting. */
  async listen(): Promise<void> {
    for (const spec of this.#config.listen) {
      const a = spec.address;
      if (a.kind === "unix" && this.#index !== 0) continue; // one accepter per unix socket
      let acceptor: Acceptor;
      try {
        acceptor = await this.#bind(spec);
      } catch (e) {
        throw new Error(
          `failed to bind ${describeListen(spec)}: ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
      }
      this.#listeners.push(acceptor);
      void this.#acceptLoop(acceptor, spec);
    }
    this.#tick = setInterval(() => this.#onTick(), TICK_MS);
  }

  async #bind(spec: ListenSpec): Promise<Acceptor> {
    const a = spec.address;
    const reusePort = this.#config.workers > 1;
    if (a.kind === "unix") {
      try {
        Deno.removeSync(a.path);
      } catch {
        // not there
      }
      const listener = Deno.listen({ transport: "unix", path: a.path });
      try {
        if (a.mode !== undefined) Deno.chmodSync(a.path, a.mode);
        chownSocket(a.path, {
          ...(a.user !== undefined ? { user: a.user } : {}),
          ...(a.group !== undefined ? { group: a.group } : {}),
        });
      } catch (e) {
        listener.close();
        throw e;
      }
      return listener;
    }
    if (spec.tls) {
      return await listenTls(spec, {
        identitiesDir: this.#config.tlsIdentitiesDir,
        reusePort,
        onError: (message) => this.#serverLog.debug(`tls: ${message}`),
      });
    }
    return Deno.listen({
      transport: "tcp",
      hostname: a.hostname,
      port: a.port,
      reusePort,
    });
  }

  async #acceptLoop(listener: Acceptor, spec: ListenSpec): Promise<void> {
    const limit = this.#limits[spec.mode];
    while (!this.#stopping) {
      if (limit.count >= limit.max) {
        // like Condure: stop accepting; new connections wait in the kernel backlog
        await new Promise<void>((resolve) => limit.waiters.push(resolve));
        continue;
      }
      let conn: ByteStream;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (this.#stopping || e instanceof Deno.errors.BadResource) return;
        const message = `accept error: ${
          e instanceof Error ? e.message : String(e)
        }`;
        if (
          e instanceof Deno.errors.NotConnected ||
          e instanceof Deno.errors.ConnectionReset ||
          e instanceof Deno.errors.ConnectionAborted
        ) {
          this.#serverLog.debug(message); // the client left before we accepted: not our error
        } else {
          this.#serverLog.error(message);
          // e.g. EMFILE: back off instead of spinning on a failing accept
          await new Promise((r) => setTimeout(r, 100));
        }
        continue;
      }
      this.#startConnection(conn, spec);
    }
  }

  #startConnection(conn: ByteStream, spec: ListenSpec): void {
    const secure = spec.tls;
    const limit = this.#limits[spec.mode];
    const addr = conn.remoteAddr;
    let peer = {};
    if (addr.transport === "tcp") {
      if (!spec.tls) {
        try {
          (conn as Deno.TcpConn).setNoDelay(true);
          (conn as Deno.TcpConn).setKeepAlive(true);
        } catch {
          // connection already gone
        }
      }
      peer = { address: addr.hostname, port: addr.port };
    }
    const slot = this.#freeSlots.pop() ?? this.#nextSlot++;
    // no closures per connection: one hooks object serves them all
    const io = new ClientConnection(conn, this.#hooks);
    const session = spec.mode === "req"
      ? new ReqHttpConnection(this, io, { slot, secure, peer })
      : new StreamHttpConnection(this, io, {
        slot,
        secure,
        peer,
        websocket: this.#websocket,
        onWake: this.#onWake,
        readPool: this.#readPool,
      });
    io.attach(session);
    const timer = this.#wheel.add(session, Infinity);
    this.#conns.set(session, timer);
    limit.count++;
    if (this.logger.debugEnabled) {
      this.#serverLog.debug(
        `worker ${this.#index}: ${spec.mode} conn starting ${slot} ${limit.count}/${limit.max}`,
      );
    }
    try {
      session.start();
      this.#wheel.schedule(timer, session.nextDeadline(this.now()));
    } catch (e) {
      this.#contain(session, e);
    }
  }

  #onClosed(session: Connection | null): void {
    if (session === null) return;
    const timer = this.#conns.get(session);
    if (timer !== undefined) this.#wheel.cancel(timer);
    this.#conns.delete(session);
    this.#freeSlots.push(session.slot);
    const limit =
      this.#limits[session instanceof ReqHttpConnection ? "req" : "stream"];
    limit.count--;
    limit.waiters.shift()?.();
  }

  // ---- SessionHost ----

  nextId(slot: number): string {
    const id = `${this.#index}-${slot}-${this.#counter.toString(16)}`;
    this.#counter = (this.#counter + 1) >>> 0;
    return id;
  }

  register(id: string, session: PacketSink): void {
    this.#sessions.set(id, session);
  }

  unregister(id: string): void {
    this.#sessions.delete(id);
  }

  sendPush(payload: Uint8Array): void {
    this.#out.add(PacketRoute.Push, payload);
    this.#scheduleFlush();
  }

  sendTo(address: Uint8Array, payload: Uint8Array): void {
    this.#out.add(PacketRoute.Router, payload, address);
    this.#scheduleFlush();
  }

  sendReq(payload: Uint8Array): void {
    this.#out.add(PacketRoute.Dealer, payload);
    this.#scheduleFlush();
  }

  now(): number {
    return performance.now();
  }

  // ---- inbound ----

  /** Handles a batch of packets from the hub. */
  receiveBatch(batch: Uint8Array): void {
    readBatch(batch, (route, _identity, payload) => {
      if (route === PacketRoute.Stream || route === PacketRoute.Req) {
        this.#onPacket(payload);
      }
    });
  }

  #onPacket(payload: Uint8Array): void {
    let p: InboundPacket;
    try {
      p = parsePacket(payload);
    } catch (e) {
      if (e instanceof ZhttpParseError) {
        this.#serverLog.warn(`zhttp parse error: ${e.message}`);
        return;
      }
      throw e;
    }
    let delivered = 0;
    for (const { id, seq } of p.ids) {
      const session = this.#sessions.get(DECODER.decode(id));
      if (session === undefined) continue;
      delivered++;
      try {
        session.onPacket(p, seq);
      } catch (e) {
        this.#contain(session, e);
      }
    }
    if (delivered === 0 && this.#serverLog.debugEnabled) {
      this.#serverLog.debug(
        `worker ${this.#index}: queued zmq message for 0 conns`,
      );
    }
  }

  /** A bug while handling one session ends that session only, never the worker. */
  #contain(session: PacketSink, error: unknown): void {
    const detail = error instanceof Error
      ? (error.stack ?? error.message)
      : String(error);
    this.#serverLog.error(
      `worker ${this.#index}: session ${session.id} failed: ${detail}`,
    );
    try {
      session.abort();
    } catch {
      // already broken: the connection is dropped with the worker's bookkeeping below
    }
  }

  // ---- timers ----

  #onTick(): void {
    const now = this.now();
    const due: Array<[Uint8Array, PacketSink]> = [];
    const fired = this.#fired;
    this.#wheel.advance(now, (conn) => fired.push(conn));
    for (const conn of fired) {
      try {
        conn.onTick(now);
        if (conn.closed) continue;
        const addr = conn.keepAliveAddress(now);
        if (addr !== null) due.push([addr, conn]);
        const timer = this.#conns.get(conn);
        if (timer !== undefined) {
          this.#wheel.schedule(timer, conn.nextDeadline(now));
        }
      } catch (e) {
        this.#contain(conn, e);
      }
    }
    fired.length = 0;
    if (due.length > 0) {
      for (
        const [addr, payload] of batchPackets(
          this.instanceId,
          "keep-alive",
          due,
        )
      ) {
        this.sendTo(addr, payload);
      }
    }
  }

  /** A connection's deadline moved sooner: put its wheel entry there. */
  #wake(conn: StreamHttpConnection): void {
    const timer = this.#conns.get(conn);
    if (timer === undefined) return;
    const at = conn.nextDeadline(this.now());
    if (at < this.#wheel.deadline(timer)) this.#wheel.schedule(timer, at);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Sends whatever packets are waiting. */
  flush(): void {
    this.#flushScheduled = false;
    const batch = this.#out.take();
    if (batch !== null) this.#link.sendBatch(batch);
  }

  /**
   * Stops accepting, sends batched cancels for every session whose handler is known, and
   * closes every connection.
   */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const l of this.#listeners) {
      try {
        l.close();
      } catch {
        // already closed
      }
    }
    for (const limit of Object.values(this.#limits)) {
      for (const w of limit.waiters.splice(0)) w();
    }
    if (this.#tick !== undefined) clearInterval(this.#tick);
    const cancels: Array<[Uint8Array, Connection]> = [];
    for (const conn of this.#conns.keys()) {
      const addr = conn.cancelAddress();
      if (addr !== null) cancels.push([addr, conn]);
    }
    for (
      const [addr, payload] of batchPackets(this.instanceId, "cancel", cancels)
    ) {
      this.sendTo(addr, payload);
    }
    for (const conn of [...this.#conns.keys()]) conn.abort();
    this.flush();
  }
}
