/**
 * Binding or connecting a socket set's sockets to their endpoints, with
 * Condure's ipc file handling (chmod after bind, removal on close).
 *
 * @module
 */

import { ipcPath } from "./endpoints.ts";
import type { ZmqSocket } from "./socket.ts";

/** How to attach a socket to an endpoint. */
export interface AttachOptions {
  /** Connect instead of bind. */
  connect: boolean;
  /** Permission bits to chmod a bound ipc socket file to (0: leave it). */
  ipcFileMode: number;
  /** Bound ipc file paths are appended here, to remove on close. */
  boundPaths: string[];
}

/**
 * Binds (or connects) `socket` to `endpoint`. After binding an ipc path with
 * `ipcFileMode` > 0 the file is chmodded; if that fails the bind is undone
 * and the error thrown.
 */
export function attach(
  socket: ZmqSocket,
  endpoint: string,
  options: AttachOptions,
): void {
  if (options.connect) {
    socket.connect(endpoint);
    return;
  }
  socket.bind(endpoint);
  const path = ipcPath(endpoint);
  if (path === null) return;
  if (options.ipcFileMode > 0) {
    try {
      Deno.chmodSync(path, options.ipcFileMode);
    } catch (error) {
      try {
        socket.unbind(endpoint);
      } catch {
        // already gone
      }
      throw error;
    }
  }
  options.boundPaths.push(path);
}

/** Removes bound ipc socket files that are still there (best effort). */
export function removeIpcFiles(paths: readonly string[]): void {
  for (const path of paths) {
    try {
      if (Deno.lstatSync(path).isSocket) Deno.removeSync(path);
    } catch {
      // already removed (libzmq unlinks on close too) or not permitted
    }
  }
}

/** Sets linger 0 and closes, ignoring sockets already closed. */
export function closeNow(socket: ZmqSocket): void {
  closeLinger(socket, 0);
}

/** Closes `socket`, letting libzmq deliver what it holds for up to `lingerMs`. */
export function closeLinger(socket: ZmqSocket, lingerMs: number): void {
  if (socket.closed) return;
  try {
    socket.setLinger(lingerMs);
  } catch {
    // ETERM after a context shutdown: closing still works
  }
  socket.close();
}
