/**
 * Messages between the supervisor isolate (which owns the ZeroMQ sockets) and worker isolates
 * (which own client connections).
 *
 * @module
 */

import type { Config } from "../cli/config.ts";

/** Supervisor → worker. */
export type ToWorker =
  | { type: "init"; config: Config; index: number }
  | { type: "packets"; batch: Uint8Array }
  | { type: "stop" };

/** Worker → supervisor. */
export type FromWorker =
  | { type: "ready" }
  | { type: "fatal"; message: string }
  | { type: "packets"; batch: Uint8Array }
  | { type: "stopped" };
