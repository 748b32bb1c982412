/**
 * Package-private hooks shared by the context, socket and poll files.
 *
 * @module
 */

/** `ZmqSocket[kHandle]`: the raw `void *` socket (throws once closed). */
export const kHandle: unique symbol = Symbol("zmq.handle");
/** `ZmqSocket[kHandleValue]`: the socket pointer as a bigint (for poll items). */
export const kHandleValue: unique symbol = Symbol("zmq.handleValue");
/** `ZmqSocket[kPollEnter]()`: marks the socket as part of an in-flight poll. */
export const kPollEnter: unique symbol = Symbol("zmq.pollEnter");
/** `ZmqSocket[kPollLeave]()`: the poll ended; runs a deferred close. */
export const kPollLeave: unique symbol = Symbol("zmq.pollLeave");
/** `ZmqContext[kSocketClosed](socket)`: a socket of the context was closed. */
export const kSocketClosed: unique symbol = Symbol("zmq.socketClosed");
