/**
 * Waiting for socket events without blocking the isolate: `zmq_poll` runs on
 * a helper thread and its result arrives as a Promise.
 *
 * @module
 */

import { Poller } from "./_poller.ts";
import type { ZmqSocket } from "./socket.ts";

/**
 * `ZMQ_POLLIN`: a message can be received.
 *
 * @example
 * ```ts
 * import { POLLIN } from "./poll.ts";
 * if (POLLIN !== 1) throw new Error("unexpected");
 * ```
 */
export const POLLIN = 1;
/**
 * `ZMQ_POLLOUT`: a message can be sent.
 *
 * @example
 * ```ts
 * import { POLLOUT } from "./poll.ts";
 * if (POLLOUT !== 2) throw new Error("unexpected");
 * ```
 */
export const POLLOUT = 2;

/** One socket to watch and the events (POLLIN/POLLOUT bits) to watch for. */
export interface PollItem {
  /** The socket; it must not be used until the poll settles. */
  socket: ZmqSocket;
  /** POLLIN and/or POLLOUT. */
  events: number;
}

/**
 * Waits up to `timeoutMs` (-1: forever, 0: just check) for events on the
 * sockets, on a helper thread. Resolves with the events that happened, per
 * item (0 for none). The sockets are busy until it settles: using them
 * meanwhile throws (a `close()` is deferred until then). Rejects with a
 * ZmqError, e.g. ETERM when the context is shut down.
 *
 * @example
 * ```ts
 * import { poll, POLLIN, POLLOUT, SocketType, ZmqContext } from "./mod.ts";
 * using ctx = new ZmqContext();
 * using a = ctx.socket(SocketType.PAIR);
 * using b = ctx.socket(SocketType.PAIR);
 * a.bind("inproc://poll-example");
 * b.connect("inproc://poll-example");
 * b.trySend([new Uint8Array([1])]);
 * const [revents] = await poll([{ socket: a, events: POLLIN | POLLOUT }], 100);
 * if (!(revents! & POLLIN)) throw new Error("not readable");
 * ```
 */
export async function poll(
  items: readonly PollItem[],
  timeoutMs: number,
): Promise<number[]> {
  const poller = new Poller(Math.max(items.length, 1));
  try {
    for (const item of items) poller.add(item.socket, item.events);
    await poller.wait(timeoutMs);
    return items.map((_, i) => poller.revents(i));
  } finally {
    poller.close();
  }
}
