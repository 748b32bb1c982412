/**
 * `--workers 1` without a worker isolate: the single {@linkcode WorkerServer} runs in the
 * supervisor's isolate, so a request does not cross isolates twice on its way to and from
 * ZeroMQ. Same surface as {@linkcode WorkerPool}.
 *
 * @module
 */

import type { Config } from "../cli/mod.ts";
import { BatchWriter } from "./batch.ts";
import type { PoolStart, Workers } from "./worker_pool.ts";
import { WorkerServer } from "./worker_server.ts";

/**
 * One worker, in-process.
 *
 * @example
 * ```ts ignore
 * const pool = new InlinePool({ config, onPackets: (b) => forward(b) });
 * await pool.start();
 * ```
 */
export class InlinePool implements Workers {
  readonly #server: WorkerServer;
  readonly #out = new BatchWriter();

  /** Creates the in-process worker 0 of `config`. */
  constructor(
    options: { config: Config; onPackets: (batch: Uint8Array) => void },
  ) {
    this.#server = new WorkerServer(options.config, 0, {
      sendBatch: options.onPackets,
    });
  }

  /** Always 1. */
  get size(): number {
    return 1;
  }

  /** Binds the listeners. */
  async start(): Promise<PoolStart> {
    try {
      await this.#server.listen();
      return { ok: true };
    } catch (e) {
      return { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
  }

  /** The batch writer for packets to the worker (only index 0 exists). */
  out(index: number): BatchWriter | undefined {
    return index === 0 ? this.#out : undefined;
  }

  /** Hands waiting packets to the worker. */
  flush(): void {
    const batch = this.#out.take();
    if (batch !== null) this.#server.receiveBatch(batch);
  }

  /** Stops accepting, sends the batched cancels and closes every connection. */
  stop(_budgetMs: number): Promise<void> {
    this.#server.stop();
    return Promise.resolve();
  }

  /** Nothing to end: the worker lives in this isolate. */
  terminate(): void {}
}
