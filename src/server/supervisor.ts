/**
 * The supervisor isolate: owns the ZeroMQ sockets (Condure's "zhttpsocket" role), starts one
 * worker isolate per `--workers`, routes handler packets to the worker that owns each session
 * id, replaces workers that die, and shuts everything down on SIGINT/SIGTERM.
 *
 * @module
 */

import { type Config, startupError } from "../cli/mod.ts";
import { Logger } from "../log.ts";
import {
  deriveStreamEndpoints,
  ReqSockets,
  StreamSockets,
  ZmqContext,
} from "../zmq/mod.ts";
import {
  bytesEqual,
  describePacket,
  peekIds,
  splitAddress,
  ZhttpParseError,
} from "../zhttp/mod.ts";
import { PacketRoute, readBatch } from "./batch.ts";
import { InlinePool } from "./inline_pool.ts";
import { WorkerPool, type Workers } from "./worker_pool.ts";
import { describeListen } from "./worker_server.ts";

/** How long shutdown waits for workers to hand over their cancels. */
export const SHUTDOWN_BUDGET_MS = 10_000;

const appLog = new Logger("condure");
const zLog = new Logger("condure::app");
const serverLog = new Logger("condure::server");
const zsockLog = new Logger("condure::zhttpsocket");
const LATIN1 = new TextDecoder("latin1");

function latin1(bytes: Uint8Array): string {
  return LATIN1.decode(bytes);
}

/** Condure's TRACE dump of a packet leaving on a ZeroMQ socket. */
function traceOut(
  kind: PacketRoute,
  identity: Uint8Array,
  payload: Uint8Array,
): void {
  const what = describePacket(payload);
  if (kind === PacketRoute.Push) zsockLog.trace(`OUT stream ${what}`);
  else if (kind === PacketRoute.Router) {
    zsockLog.trace(`OUT stream to ${latin1(identity)} ${what}`);
  } else zsockLog.trace(`OUT req ${what}`);
}

/** Parses the worker index at the start of an id (`"3-12-af"` → 3), or -1. */
export function workerOfId(id: Uint8Array): number {
  let n = 0;
  let i = 0;
  for (; i < id.length && i < 5; i++) {
    const c = id[i]!;
    if (c === 45) break; // '-'
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return i > 0 && i < id.length && id[i] === 45 ? n : -1;
}

/**
 * Runs the server until a shutdown signal; resolves with the process exit code.
 *
 * @example
 * ```ts ignore
 * const code = await runServer(config);
 * Deno.exit(code);
 * ```
 */
export async function runServer(config: Config): Promise<number> {
  appLog.info("starting...");
  const startup = startupError(config);
  if (startup !== null) {
    appLog.error(startup);
    return 1;
  }
  const instanceId = new TextEncoder().encode(config.id);
  using ctx = new ZmqContext();
  const onPackets = (batch: Uint8Array) => onWorkerPackets(batch);
  // one worker runs in this isolate: a request then crosses no isolate boundary
  const pool: Workers = config.workers === 1
    ? new InlinePool({ config, onPackets })
    : new WorkerPool({ config, onPackets });
  let flushScheduled = false;
  const flushWorkers = () => {
    flushScheduled = false;
    pool.flush();
  };
  const queueFor = (index: number, payload: Uint8Array, kind: PacketRoute) => {
    const out = pool.out(index);
    if (out === undefined) return;
    out.add(kind, payload);
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flushWorkers);
    }
  };

  // Sends a handler packet to every worker named by the first component of its id(s).
  const route = (payload: Uint8Array, kind: PacketRoute) => {
    if (pool.size === 1) {
      queueFor(0, payload, kind);
      return;
    }
    let ids: Uint8Array[];
    try {
      ids = peekIds(payload);
    } catch (e) {
      if (e instanceof ZhttpParseError) {
        serverLog.warn(`unable to determine packet id(s): ${e.message}`);
        return;
      }
      throw e;
    }
    const seen = new Set<number>();
    for (const id of ids) {
      const w = workerOfId(id);
      if (w < 0 || w >= pool.size || seen.has(w)) continue;
      seen.add(w);
      queueFor(w, payload, kind);
    }
  };

  const onStreamFrame = (frame: Uint8Array) => {
    const split = splitAddress(frame);
    if (split === null) {
      serverLog.warn("unable to determine packet address");
      return;
    }
    if (!bytesEqual(split.address, instanceId)) {
      serverLog.warn("packet not for us");
      return;
    }
    if (zsockLog.traceEnabled) {
      zsockLog.trace(
        `IN stream ${latin1(split.address)} ${describePacket(split.payload)}`,
      );
    }
    route(split.payload, PacketRoute.Stream);
  };

  const mode = config.zclientConnect ? "connect" : "bind";
  const hwm = Math.max(
    Math.floor((config.reqMaxconn + config.streamMaxconn) / 20),
    1,
  );
  let req: ReqSockets | null = null;
  if (config.listen.some((l) => l.mode === "req")) {
    for (const spec of config.zclientReq) {
      zLog.info(`zhttp client ${mode} ${spec}`);
    }
    req = new ReqSockets(ctx, {
      specs: config.zclientReq,
      connect: config.zclientConnect,
      ipcFileMode: config.ipcFileMode,
      rcvHwm: hwm,
      onMessage: (payload) => {
        if (zsockLog.traceEnabled) {
          zsockLog.trace(`IN req ${describePacket(payload)}`);
        }
        route(payload, PacketRoute.Req);
      },
    });
  }
  let stream: StreamSockets | null = null;
  if (config.listen.some((l) => l.mode === "stream")) {
    for (const spec of config.zclientStream) {
      const ep = deriveStreamEndpoints(spec);
      zLog.info(`zhttp client ${mode} ${ep.out} ${ep.outStream} ${ep.in}`);
    }
    stream = new StreamSockets(ctx, {
      specs: config.zclientStream,
      connect: config.zclientConnect,
      instanceId: config.id,
      ipcFileMode: config.ipcFileMode,
      sndHwm: hwm,
      rcvHwm: hwm,
      onMessage: onStreamFrame,
    });
  }

  const onWorkerPackets = (batch: Uint8Array): void => {
    readBatch(batch, (kind, identity, payload) => {
      if (zsockLog.traceEnabled) traceOut(kind, identity, payload);
      if (kind === PacketRoute.Push) stream?.sendRequest(payload);
      else if (kind === PacketRoute.Router) stream?.sendTo(identity, payload);
      else if (kind === PacketRoute.Dealer) req?.send(payload);
    });
  };

  // ---- workers ----
  const started = await pool.start();
  const terminateAll = async () => {
    pool.terminate();
    await stream?.close({ lingerMs: 1000 });
    await req?.close();
  };
  if (!started.ok) {
    appLog.error(started.message);
    await terminateAll();
    return 1;
  }
  // every worker binds every TCP port, but only worker 0 the Unix sockets: log from the config
  for (const spec of config.listen) {
    serverLog.info(`listening on ${describeListen(spec)}`);
  }
  appLog.info("started");

  // ---- shutdown ----
  const signal = await new Promise<string>((resolve) => {
    const handlers: Array<[Deno.Signal, () => void]> = [];
    for (const sig of ["SIGINT", "SIGTERM", "SIGQUIT"] as Deno.Signal[]) {
      const h = () => {
        for (const [s, f] of handlers) Deno.removeSignalListener(s, f);
        resolve(sig);
      };
      handlers.push([sig, h]);
      Deno.addSignalListener(sig, h);
    }
  });
  appLog.debug(`received ${signal}`);
  // a second signal while stopping exits at once, as Condure does
  for (const sig of ["SIGINT", "SIGTERM", "SIGQUIT"] as Deno.Signal[]) {
    Deno.addSignalListener(sig, () => Deno.exit(1));
  }
  appLog.info("stopping...");
  await pool.stop(SHUTDOWN_BUDGET_MS);
  await terminateAll();
  appLog.info("stopped");
  return 0;
}
