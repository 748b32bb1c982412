/**
 * Receiving through one reused `zmq_msg_t` (the isolate is single-threaded and
 * receives never run on poll threads, so one suffices): receive a part, copy
 * out only the parts that are wanted, skip the rest.
 *
 * @module
 */

import { MSG_SIZE, zmq, ZMQ_DONTWAIT } from "./_ffi.ts";
import { EAGAIN, lastError } from "./error.ts";

// An ArrayBuffer's backing store never moves (unlike small on-heap typed
// arrays), and this module keeps it alive for as long as the pointer is used.
const msgBuffer = new Uint8Array(new ArrayBuffer(MSG_SIZE));
let msg: Deno.PointerObject | null = null;

function message(): Deno.PointerObject {
  if (msg === null) {
    msg = Deno.UnsafePointer.of(msgBuffer)!;
    zmq().zmq_msg_init(msg);
  }
  return msg;
}

/**
 * Receives one part without waiting. Returns its size, or -1 on EAGAIN
 * (nothing available); throws a ZmqError otherwise.
 */
export function receivePart(socket: Deno.PointerObject): number {
  const m = message();
  const n = zmq().zmq_msg_recv(m, socket, ZMQ_DONTWAIT);
  if (n >= 0) return n;
  const error = lastError();
  if (error.errno === EAGAIN) return -1;
  throw error;
}

/** A copy of the last received part (`size` as returned by receivePart). */
export function copyPart(size: number): Uint8Array {
  const out = new Uint8Array(size);
  if (size > 0) {
    const data = zmq().zmq_msg_data(msg!);
    Deno.UnsafePointerView.copyInto(data!, out);
  }
  return out;
}

/** Whether more parts of the same message follow the last received one. */
export function morePart(): boolean {
  return zmq().zmq_msg_more(msg!) !== 0;
}

/** Discards the remaining parts of the current message. */
export function skipRest(socket: Deno.PointerObject): void {
  while (morePart()) receivePart(socket);
}

/** Releases the content held by the reused message (after a batch). */
export function releasePart(): void {
  if (msg === null) return;
  const lib = zmq();
  lib.zmq_msg_close(msg);
  lib.zmq_msg_init(msg);
}
