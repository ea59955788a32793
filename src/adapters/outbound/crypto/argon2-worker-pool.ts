import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { passwordHasherUnavailable } from '../../../domain/identity/password-hasher.port.js';

/**
 * The two argon2 operations the hasher needs, wherever they run. A backend that cannot answer
 * (rather than argon2 refusing its input) rejects with `passwordHasherUnavailable()`.
 */
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

/** How long a job may wait for its answer before its worker is taken for stalled. */
export const DEFAULT_JOB_TIMEOUT_MS = 30_000;

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Rejects every job of this worker and takes it out of the pool. */
  fail(error: Error): void;
}

/** A backend failure, not argon2's verdict: the original reason stays in `cause` for logs. */
function unavailable(reason: string): Error {
  return Object.assign(passwordHasherUnavailable(), { cause: new Error(reason) });
}

/**
 * argon2 on a few dedicated worker threads running at a lower CPU priority than the event loop:
 * when the machine is busy, hashing (a login storm) yields the cores to token checks and every
 * other call; when it is idle, hashing runs at full speed. Workers start on first use, are
 * replaced if one dies or stalls past the job timeout (its jobs fail as unavailable, never as
 * a wrong password), and never keep the process alive.
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
    /** A job unanswered after this long terminates its worker (replaced on next use). */
    private readonly jobTimeoutMs: number = DEFAULT_JOB_TIMEOUT_MS,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error('size must be a positive integer');
    if (!(jobTimeoutMs > 0)) throw new Error('jobTimeoutMs must be positive');
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
    if (this.closed) return Promise.reject(unavailable('the argon2 worker pool is closed'));
    const slot = this.leastBusy();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A stalled worker: fail its jobs and drop it; the next job spawns a fresh one.
        slot.fail(unavailable(`argon2 job unanswered after ${String(this.jobTimeoutMs)} ms`));
        void slot.worker.terminate();
      }, this.jobTimeoutMs);
      timer.unref();
      slot.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
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
    const pending = new Map<number, Pending>();
    const slot: Slot = {
      worker,
      pending,
      fail: (error) => {
        if (this.slots[index] === slot) this.slots[index] = undefined;
        const jobs = [...pending.values()];
        pending.clear();
        for (const job of jobs) job.reject(error);
      },
    };
    worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const pending = slot.pending.get(message.id);
      if (pending === undefined) return;
      slot.pending.delete(message.id);
      if (message.error === undefined) pending.resolve(message.result);
      else pending.reject(new Error(message.error));
    });
    worker.on('error', (error) => {
      slot.fail(unavailable(`argon2 worker failed: ${error.message}`));
    });
    worker.on('exit', (code) => {
      slot.fail(unavailable(`argon2 worker exited (code ${String(code)})`));
    });
    this.slots[index] = slot;
    return slot;
  }
}
