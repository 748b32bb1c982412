/**
 * Entry point of a worker isolate: receives its configuration from the supervisor, runs a
 * {@linkcode WorkerServer} and exchanges packet batches with the supervisor.
 *
 * @module
 */

import { setLogLevel } from "../log.ts";
import type { FromWorker, ToWorker } from "./messages.ts";
import { WorkerServer } from "./worker_server.ts";

declare const self: {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  close(): void;
};

let server: WorkerServer | null = null;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case "init": {
      setLogLevel(msg.config.logLevel);
      server = new WorkerServer(msg.config, msg.index, {
        sendBatch: (batch) => post({ type: "packets", batch }, [batch.buffer]),
      });
      server.listen().then(
        () => post({ type: "ready" }),
        (err) =>
          post({
            type: "fatal",
            message: err instanceof Error ? err.message : String(err),
          }),
      );
      break;
    }
    case "packets":
      server?.receiveBatch(msg.batch);
      break;
    case "stop":
      server?.stop();
      post({ type: "stopped" });
      break;
  }
};
