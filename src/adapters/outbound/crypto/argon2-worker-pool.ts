import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The two argon2 operations the hasher needs, wherever they run. */
export interface Argon2Backend {
  hash(password: string, options: Argon2Options): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

export interface Argon2Options {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/**
 * Each worker thread lowers its own scheduling priority (Linux: a thread's nice value is its
 * own, set through its thread id) and then runs argon2 synchronously, one job at a time. Plain
 * JavaScript evaluated as a script, so it runs the same under tsx, vitest and compiled code.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) require('node:os').setPriority(tid, workerData.nice);
} catch {
  // Not Linux, or not allowed: the thread keeps the default priority.
}
const argon2 = require(workerData.argon2Path);
parentPort.on('message', (job) => {
  try {
    const result =
      job.op === 'hash'
        ? argon2.hashSync(job.password, job.options)
        : argon2.verifySync(job.hash, job.password);
    parentPort.postMessage({ id: job.id, result });
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: String((error && error.message) || error) });
  }
});
`;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * argon2 on a few dedicated worker threads running at a lower CPU priority than the event loop:
 * when the machine is busy, hashing (a login storm) yields the cores to token checks and every
 * other call; when it is idle, hashing runs at full speed. Workers start on first use, are
 * replaced if one dies (its jobs fail), and never keep the process alive.
 */
export class Argon2WorkerPool implements Argon2Backend {
  private readonly slots: (Slot | undefined)[];
  private readonly argon2Path = createRequire(import.meta.url).resolve('@node-rs/argon2');
  private nextId = 0;
  private closed = false;

  constructor(
    size: number,
    /** The workers' nice value (0 = as the event loop, 19 = only idle CPU). */
    private readonly nice: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error('size must be a positive integer');
    this.slots = Array.from({ length: size }, () => undefined);
  }

  hash(password: string, options: Argon2Options): Promise<string> {
    return this.run<string>({ op: 'hash', password, options: { ...options } });
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.run<boolean>({ op: 'verify', hash, password });
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.slots.flatMap((slot) => (slot === undefined ? [] : [slot.worker]));
    this.slots.fill(undefined);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private run<T>(job: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the argon2 worker pool is closed'));
    const slot = this.leastBusy();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(id, {
        resolve: (value) => {
          resolve(value as T);
        },
        reject,
      });
      slot.worker.postMessage({ ...job, id });
    });
  }

  private leastBusy(): Slot {
    let best: Slot | undefined;
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i] ?? this.spawn(i);
      if (best === undefined || slot.pending.size < best.pending.size) best = slot;
      if (best.pending.size === 0) break;
    }
    if (best === undefined) throw new Error('unreachable: the pool has at least one slot');
    return best;
  }

  private spawn(index: number): Slot {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { argon2Path: this.argon2Path, nice: this.nice },
    });
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const pending = slot.pending.get(message.id);
      if (pending === undefined) return;
      slot.pending.delete(message.id);
      if (message.error === undefined) pending.resolve(message.result);
      else pending.reject(new Error(message.error));
    });
    const fail = (error: Error): void => {
      if (this.slots[index] === slot) this.slots[index] = undefined;
      for (const pending of slot.pending.values()) pending.reject(error);
      slot.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      fail(new Error(`argon2 worker exited (code ${String(code)})`));
    });
    this.slots[index] = slot;
    return slot;
  }
}
