/**
 * The worker isolates of one server: starts them, forwards their packet batches, replaces one
 * that dies (its connections are lost; the others are untouched), and stops them all.
 *
 * @module
 */

import type { Config } from "../cli/mod.ts";
import { Logger } from "../log.ts";
import { BatchWriter } from "./batch.ts";
import type { FromWorker, ToWorker } from "./messages.ts";

const log = new Logger("condure");

/** The result of starting the pool. */
export type PoolStart = { ok: true } | { ok: false; message: string };

/** What the supervisor needs of its workers, in isolates or in-process. */
export interface Workers {
  /** Number of workers. */
  readonly size: number;
  /** Starts every worker; resolves once all listen, or with the first failure. */
  start(): Promise<PoolStart>;
  /** The batch writer for packets going to worker `index`. */
  out(index: number): BatchWriter | undefined;
  /** Delivers every waiting batch. */
  flush(): void;
  /** Stops every worker (they send their cancels first), waiting at most `budgetMs`. */
  stop(budgetMs: number): Promise<void>;
  /** Ends every worker at once. */
  terminate(): void;
}

/** Options of a {@linkcode WorkerPool}. */
export interface WorkerPoolOptions {
  /** The configuration every worker gets with its index. */
  config: Config;
  /** Called with every packet batch a worker sends toward ZeroMQ. */
  onPackets: (batch: Uint8Array) => void;
  /** The worker module (default: `./worker.ts`). */
  moduleUrl?: URL;
}

interface Slot {
  worker: Worker;
  stopped: boolean;
}

/**
 * A fixed-size set of worker isolates, one per `--workers`.
 *
 * @example
 * ```ts ignore
 * const pool = new WorkerPool({ config, onPackets: (b) => forward(b) });
 * const started = await pool.start();
 * ```
 */
export class WorkerPool implements Workers {
  readonly #config: Config;
  readonly #onPackets: (batch: Uint8Array) => void;
  readonly #url: URL;
  readonly #slots: Slot[] = [];
  readonly #outs: BatchWriter[] = [];
  #ready = 0;
  #readyResolve: (r: PoolStart) => void = () => {};
  #stopping = false;
  #stoppedResolve: () => void = () => {};
  #replacements = 0;

  /** Creates the pool; {@linkcode start} spawns the workers. */
  constructor(options: WorkerPoolOptions) {
    this.#config = options.config;
    this.#onPackets = options.onPackets;
    this.#url = options.moduleUrl ?? new URL("./worker.ts", import.meta.url);
  }

  /** Number of workers. */
  get size(): number {
    return this.#slots.length;
  }

  /** How many workers were replaced after dying. */
  get replacements(): number {
    return this.#replacements;
  }

  /** Spawns every worker and resolves once all listen, or with the first failure. */
  start(): Promise<PoolStart> {
    const started = new Promise<PoolStart>((r) => (this.#readyResolve = r));
    for (let i = 0; i < this.#config.workers; i++) {
      this.#outs.push(new BatchWriter());
      this.#slots.push(this.#spawn(i));
    }
    return started;
  }

  /** The batch writer for packets going to worker `index` (flushed by {@linkcode flush}). */
  out(index: number): BatchWriter | undefined {
    return this.#outs[index];
  }

  /** Posts every waiting batch to its worker. */
  flush(): void {
    for (let i = 0; i < this.#slots.length; i++) {
      const batch = this.#outs[i]!.take();
      if (batch !== null) {
        this.#post(i, { type: "packets", batch }, [batch.buffer]);
      }
    }
  }

  #post(index: number, msg: ToWorker, transfer: Transferable[] = []): void {
    this.#slots[index]!.worker.postMessage(msg, transfer);
  }

  #spawn(index: number): Slot {
    const worker = new Worker(this.#url, { type: "module" });
    const slot: Slot = { worker, stopped: false };
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const msg = e.data;
      switch (msg.type) {
        case "packets":
          this.#onPackets(msg.batch);
          break;
        case "ready":
          if (++this.#ready === this.#slots.length) {
            this.#readyResolve({ ok: true });
          }
          break;
        case "fatal":
          // before start-up completes this fails the start; later (a replacement that cannot
          // bind) it is logged and the other workers keep serving
          if (this.#ready < this.#slots.length) {
            this.#readyResolve({ ok: false, message: msg.message });
          } else log.error(`worker ${index}: ${msg.message}`);
          break;
        case "stopped":
          this.#markStopped(slot);
          break;
      }
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      log.error(`worker ${index} failed: ${e.message}`);
      worker.terminate();
      if (this.#stopping) {
        this.#markStopped(slot);
        return;
      }
      this.#replacements++;
      this.#slots[index] = this.#spawn(index);
    };
    worker.postMessage(
      { type: "init", config: this.#config, index } satisfies ToWorker,
    );
    return slot;
  }

  #markStopped(slot: Slot): void {
    if (slot.stopped) return;
    slot.stopped = true;
    if (this.#slots.every((s) => s.stopped)) this.#stoppedResolve();
  }

  /**
   * Asks every worker to stop (they send their cancels first) and waits for all of them, at
   * most `budgetMs`.
   */
  async stop(budgetMs: number): Promise<void> {
    this.#stopping = true;
    const stopped = new Promise<void>((r) => (this.#stoppedResolve = r));
    for (let i = 0; i < this.#slots.length; i++) {
      this.#post(i, { type: "stop" });
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      stopped,
      new Promise<void>((r) => (timer = setTimeout(r, budgetMs))),
    ]);
    clearTimeout(timer);
  }

  /** Ends every worker isolate at once. */
  terminate(): void {
    this.#stopping = true;
    for (const s of this.#slots) s.worker.terminate();
  }
}
