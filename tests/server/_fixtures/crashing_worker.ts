// A stand-in worker isolate for WorkerPool tests: answers the supervisor protocol, echoes packet
// batches back, and (worker 0 only, once per marker directory) throws an uncaught error soon
// after start-up, like a worker hitting a bug.

import type { FromWorker, ToWorker } from "../../../src/server/messages.ts";

declare const self: {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
};

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === "init") {
    const marker = `${msg.config.tlsIdentitiesDir}/crashed`;
    let crashedBefore = true;
    try {
      Deno.statSync(marker);
    } catch {
      crashedBefore = false;
    }
    self.postMessage({ type: "ready" });
    if (msg.index === 0 && !crashedBefore) {
      Deno.writeTextFileSync(marker, "x");
      setTimeout(() => {
        throw new Error("boom");
      }, 10);
    }
  } else if (msg.type === "packets") {
    self.postMessage({ type: "packets", batch: msg.batch }, [
      msg.batch.buffer as ArrayBuffer,
    ]);
  } else {
    self.postMessage({ type: "stopped" });
  }
};
