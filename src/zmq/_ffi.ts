/**
 * Loads libzmq through `Deno.dlopen` and declares the C API symbols used by
 * this folder. The library is opened when this module is first evaluated (so
 * test resource sanitizers see it as pre-existing); a load failure is kept
 * and thrown by {@linkcode zmq} on first use, so importing never fails.
 *
 * Where the library comes from, in order:
 * 1. `CONDURE_LIBZMQ` (a path to any libzmq 4.x shared library, e.g. the
 *    system `libzmq.so.5`);
 * 2. the native addon of the installed `zeromq` npm package, which
 *    statically links libzmq 4.3.5 and exports its whole C API:
 *    `build/<platform>/<arch>/node/<libc>-<abi>-Release/addon.node`.
 *
 * @module
 */

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { readdirSync } from "node:fs";

const SYMBOLS = {
  zmq_version: { parameters: ["buffer", "buffer", "buffer"], result: "void" },
  zmq_errno: { parameters: [], result: "i32" },
  zmq_strerror: { parameters: ["i32"], result: "pointer" },
  zmq_ctx_new: { parameters: [], result: "pointer" },
  zmq_ctx_shutdown: { parameters: ["pointer"], result: "i32" },
  zmq_ctx_term: { parameters: ["pointer"], result: "i32" },
  zmq_socket: { parameters: ["pointer", "i32"], result: "pointer" },
  zmq_close: { parameters: ["pointer"], result: "i32" },
  zmq_setsockopt: {
    parameters: ["pointer", "i32", "buffer", "usize"],
    result: "i32",
  },
  zmq_getsockopt: {
    parameters: ["pointer", "i32", "buffer", "buffer"],
    result: "i32",
  },
  zmq_bind: { parameters: ["pointer", "buffer"], result: "i32" },
  zmq_unbind: { parameters: ["pointer", "buffer"], result: "i32" },
  zmq_connect: { parameters: ["pointer", "buffer"], result: "i32" },
  zmq_send: {
    parameters: ["pointer", "buffer", "usize", "i32"],
    result: "i32",
  },
  zmq_msg_init: { parameters: ["pointer"], result: "i32" },
  zmq_msg_init_size: { parameters: ["pointer", "usize"], result: "i32" },
  zmq_msg_close: { parameters: ["pointer"], result: "i32" },
  zmq_msg_recv: { parameters: ["pointer", "pointer", "i32"], result: "i32" },
  zmq_msg_data: { parameters: ["pointer"], result: "pointer" },
  zmq_msg_size: { parameters: ["pointer"], result: "usize" },
  zmq_msg_more: { parameters: ["pointer"], result: "i32" },
  // `long timeout`: 64-bit on LP64 (Linux, macOS); Windows is not supported.
  zmq_poll: { parameters: ["pointer", "i32", "i64"], result: "i32" },
  zmq_poll_async: {
    name: "zmq_poll",
    parameters: ["pointer", "i32", "i64"],
    result: "i32",
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library's symbols. */
export type ZmqSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/**
 * Environment variable naming a libzmq shared library to use instead of the
 * `zeromq` package's addon (read when this module is first imported).
 *
 * @example
 * ```ts
 * import { LIBZMQ_ENV } from "./mod.ts";
 * if (LIBZMQ_ENV !== "CONDURE_LIBZMQ") throw new Error(LIBZMQ_ENV);
 * ```
 */
export const LIBZMQ_ENV = "CONDURE_LIBZMQ";

// Socket options (zmq.h).
export const ZMQ_ROUTING_ID = 5;
export const ZMQ_SUBSCRIBE = 6;
export const ZMQ_FD = 14;
export const ZMQ_EVENTS = 15;
export const ZMQ_TYPE = 16;
export const ZMQ_LINGER = 17;
export const ZMQ_SNDHWM = 23;
export const ZMQ_RCVHWM = 24;
export const ZMQ_LAST_ENDPOINT = 32;
export const ZMQ_ROUTER_MANDATORY = 33;
// Send/receive flags.
export const ZMQ_DONTWAIT = 1;
export const ZMQ_SNDMORE = 2;
// zmq_pollitem_t on LP64: { void* socket; int fd; short events; short revents }.
export const POLLITEM_SIZE = 16;
export const POLLITEM_EVENTS = 12;
export const POLLITEM_REVENTS = 14;
/** sizeof(zmq_msg_t). */
export const MSG_SIZE = 64;

/** Candidate library paths, most preferred first. */
export function libraryCandidates(): string[] {
  const candidates: string[] = [];
  try {
    const override = Deno.env.get(LIBZMQ_ENV);
    if (override) candidates.push(override);
  } catch {
    // no --allow-env: fall through to the bundled addon
  }
  const roots: string[] = [];
  try {
    const require = createRequire(import.meta.url);
    roots.push(dirname(require.resolve("zeromq/package.json")));
  } catch {
    // not resolvable from here (e.g. unusual layouts): try the repo layout
  }
  try {
    roots.push(
      decodeURIComponent(
        new URL("../../node_modules/zeromq", import.meta.url).pathname,
      ),
    );
  } catch {
    // non-file module URL
  }
  const platform = Deno.build.os === "windows" ? "win32" : Deno.build.os;
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "x64";
  const libc = Deno.build.os !== "linux"
    ? ""
    : Deno.build.target.includes("musl")
    ? "musl"
    : "glibc";
  for (const root of roots) {
    const dir = join(root, "build", platform, arch, "node");
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    // Newest ABI first: "glibc-127-Release" before "glibc-72-Release".
    const abi = (name: string) => Number(name.split("-")[1] ?? 0);
    names
      .filter((name) => name.endsWith("-Release"))
      .filter((name) => libc === "" || name.startsWith(`${libc}-`))
      .sort((a, b) => abi(b) - abi(a))
      .forEach((name) => candidates.push(join(dir, name, "addon.node")));
  }
  if (Deno.build.os === "linux") candidates.push("libzmq.so.5");
  if (Deno.build.os === "darwin") candidates.push("libzmq.5.dylib");
  return [...new Set(candidates)];
}

function open(): { lib: ZmqSymbols; path: string } {
  const failures: string[] = [];
  for (const path of libraryCandidates()) {
    try {
      const lib = Deno.dlopen(path, SYMBOLS);
      return { lib: lib.symbols, path };
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
    }
  }
  throw new Error(
    `Cannot load libzmq (set ${LIBZMQ_ENV} to a libzmq shared library): ${
      failures.join("; ") || "no candidate found"
    }`,
  );
}

let loaded: { lib: ZmqSymbols; path: string } | undefined;
let loadError: Error | undefined;
try {
  loaded = open();
} catch (error) {
  loadError = error as Error;
}

/** The libzmq symbols; throws the load error if the library is missing. */
export function zmq(): ZmqSymbols {
  if (loaded === undefined) throw loadError;
  return loaded.lib;
}

/**
 * Path of the loaded library; throws the load error if it is missing.
 *
 * @example
 * ```ts
 * import { libraryPath } from "./mod.ts";
 * console.log(`libzmq from ${libraryPath()}`);
 * ```
 */
export function libraryPath(): string {
  if (loaded === undefined) throw loadError;
  return loaded.path;
}

const encoder = new TextEncoder();

/** A NUL-terminated copy of `text` for `const char *` parameters. */
export function cString(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 3 + 1);
  const { written } = encoder.encodeInto(text, bytes);
  return bytes.subarray(0, written + 1);
}
