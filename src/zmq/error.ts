/**
 * The error thrown by the libzmq binding: an errno with its symbolic code
 * and libzmq's `zmq_strerror` text as the message.
 *
 * @module
 */

import { zmq } from "./_ffi.ts";

const HAUSNUMERO = 156384712;

// errno values differ per OS; only the ones libzmq reports are listed.
const LINUX: Record<string, number> = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  EMFILE: 24,
  ENAMETOOLONG: 36,
  ENOTSOCK: 88,
  EMSGSIZE: 90,
  EPROTONOSUPPORT: 93,
  ENOTSUP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
};

const DARWIN: Record<string, number> = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 35,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  EMFILE: 24,
  ENAMETOOLONG: 63,
  ENOTSOCK: 38,
  EMSGSIZE: 40,
  EPROTONOSUPPORT: 43,
  ENOTSUP: 45,
  EAFNOSUPPORT: 47,
  EADDRINUSE: 48,
  EADDRNOTAVAIL: 49,
  ENETDOWN: 50,
  ENETUNREACH: 51,
  ENETRESET: 52,
  ECONNABORTED: 53,
  ECONNRESET: 54,
  ENOBUFS: 55,
  ENOTCONN: 57,
  ETIMEDOUT: 60,
  ECONNREFUSED: 61,
  EHOSTUNREACH: 65,
};

/**
 * errno values by symbolic name for this OS, including libzmq's own.
 *
 * @example
 * ```ts
 * import { Errno } from "./mod.ts";
 * if (Errno.ETERM !== 156384765) throw new Error("unexpected");
 * ```
 */
export const Errno: Readonly<Record<string, number>> = Object.freeze({
  ...(Deno.build.os === "darwin" ? DARWIN : LINUX),
  EFSM: HAUSNUMERO + 51,
  ENOCOMPATPROTO: HAUSNUMERO + 52,
  ETERM: HAUSNUMERO + 53,
  EMTHREAD: HAUSNUMERO + 54,
});

const NAMES = new Map<number, string>(
  Object.entries(Errno).map(([name, value]) => [value, name]),
);

/** errno values compared on hot paths. */
export const EAGAIN: number = Errno.EAGAIN!;
/** Host unreachable (ROUTER_MANDATORY send to an unknown identity). */
export const EHOSTUNREACH: number = Errno.EHOSTUNREACH!;
/** The context was shut down. */
export const ETERM: number = Errno.ETERM!;
/** Interrupted system call. */
export const EINTR: number = Errno.EINTR!;

/**
 * A failed libzmq call.
 *
 * @example
 * ```ts
 * import { ZmqError } from "./error.ts";
 * const error = ZmqError.fromErrno(ZmqError.errnoOf("EHOSTUNREACH"));
 * if (error.code !== "EHOSTUNREACH") throw error;
 * ```
 */
export class ZmqError extends Error {
  /** The numeric errno (OS-specific except for libzmq's own codes). */
  readonly errno: number;
  /** The symbolic errno name, e.g. `"EAGAIN"`, or `"E<number>"` if unknown. */
  readonly code: string;

  /** Creates an error for `errno` with `message` (normally `zmq_strerror`). */
  constructor(errno: number, message: string) {
    super(message);
    this.name = "ZmqError";
    this.errno = errno;
    this.code = NAMES.get(errno) ?? `E${errno}`;
  }

  /** An error for `errno` with libzmq's description as the message. */
  static fromErrno(errno: number): ZmqError {
    const text = Deno.UnsafePointerView.getCString(
      zmq().zmq_strerror(errno)!,
    );
    return new ZmqError(errno, text);
  }

  /** This OS's errno value for a symbolic name such as `"EAGAIN"`. */
  static errnoOf(code: string): number {
    const value = Errno[code];
    if (value === undefined) throw new RangeError(`Unknown errno "${code}"`);
    return value;
  }
}

/** The error for the calling thread's last failed libzmq call. */
export function lastError(): ZmqError {
  return ZmqError.fromErrno(zmq().zmq_errno());
}
