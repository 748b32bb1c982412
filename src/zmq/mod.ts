/**
 * ZeroMQ for Condure through libzmq's C API (`Deno.dlopen`): the raw binding
 * (context, socket, poll) and the manager's socket sets for stream and req
 * mode. libzmq is the one statically linked into the `zeromq` npm package's
 * native addon, or the library named by `CONDURE_LIBZMQ`.
 *
 * Waiting happens in a nonblocking FFI `zmq_poll` (a helper thread, a
 * Promise); sending and receiving are synchronous `ZMQ_DONTWAIT` calls. A
 * socket must not be used while a poll including it is in flight.
 *
 * @example
 * ```ts
 * import { poll, POLLIN, SocketType, ZmqContext } from "./mod.ts";
 * using ctx = new ZmqContext();
 * using pull = ctx.socket(SocketType.PULL);
 * using push = ctx.socket(SocketType.PUSH);
 * pull.bind("inproc://mod-example");
 * push.connect("inproc://mod-example");
 * push.trySend([new TextEncoder().encode("hello")]);
 * await poll([{ socket: pull, events: POLLIN }], 1000);
 * const [frame] = pull.tryReceive() ?? [];
 * if (new TextDecoder().decode(frame) !== "hello") throw new Error("lost");
 * ```
 *
 * @module
 */

export { libraryPath, LIBZMQ_ENV } from "./_ffi.ts";
export { Errno, ZmqError } from "./error.ts";
export { ZmqContext } from "./context.ts";
export { SocketType, ZmqSocket } from "./socket.ts";
export { poll, POLLIN, type PollItem, POLLOUT } from "./poll.ts";
export {
  deriveStreamEndpoints,
  ipcPath,
  type StreamEndpoints,
} from "./endpoints.ts";
export {
  DEFAULT_OTHER_HWM,
  DEFAULT_QUEUE_MAX,
  INIT_HWM,
  STREAM_OUT_STREAM_DELAY_MS,
  StreamSockets,
  type StreamSocketsOptions,
  type ZmqLogger,
} from "./stream_sockets.ts";
export {
  ENVELOPE_FRAMES_MAX,
  ReqSockets,
  type ReqSocketsOptions,
} from "./req_sockets.ts";
