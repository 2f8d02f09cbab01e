// A keyed, coalescing work queue with client-go workqueue semantics:
// - a key is queued at most once (dirty set), however many events name it;
// - a key is never processed concurrently; a re-add while processing runs it again afterwards;
// - failures back off per key (exponential, capped) and reset on success;
// - a handler may ask to be requeued after a delay (level-triggered polling of rollouts).

export interface ReconcileResult {
  /** Run the key again after this many milliseconds, even if nothing changes. */
  requeueAfterMs?: number;
}

export type KeyHandler = (key: string) => Promise<ReconcileResult | void>;

export interface WorkQueueOptions {
  concurrency: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  onError?: (key: string, err: unknown, retryInMs: number) => void;
}

const DEFAULTS: WorkQueueOptions = { concurrency: 2, baseBackoffMs: 500, maxBackoffMs: 5 * 60_000 };

export class WorkQueue {
  readonly #options: WorkQueueOptions;
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #idleWaiters: Array<() => void> = [];
  #handler: KeyHandler | undefined;
  #active = 0;
  #shuttingDown = false;

  constructor(options: Partial<WorkQueueOptions> = {}) {
    this.#options = { ...DEFAULTS, ...options };
  }

  /** Queue a key now. Duplicate adds coalesce. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (!this.#processing.has(key)) this.#queue.push(key);
    this.#pump();
  }

  /** Queue a key after a delay; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const pending = this.#timers.get(key);
    if (pending && (pending as NodeJS.Timeout & { dueAt?: number }).dueAt! <= Date.now() + delayMs) return;
    if (pending) clearTimeout(pending);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs) as NodeJS.Timeout & { dueAt?: number };
    timer.dueAt = Date.now() + delayMs;
    timer.unref();
    this.#timers.set(key, timer);
  }

  /** Forget a key's failure history (e.g. the object was deleted). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  start(handler: KeyHandler): void {
    this.#handler = handler;
    this.#pump();
  }

  get length(): number {
    return this.#queue.length;
  }

  /** Resolves when nothing is queued or running (used by tests and shutdown). */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stop taking new work, cancel delayed keys and wait for running handlers to finish. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.length = 0;
    this.#dirty.clear();
    await this.idle();
  }

  backoffFor(failures: number): number {
    const { baseBackoffMs, maxBackoffMs } = this.#options;
    return Math.min(maxBackoffMs, baseBackoffMs * 2 ** Math.max(0, failures - 1));
  }

  #pump(): void {
    const handler = this.#handler;
    if (!handler) return;
    while (this.#active < this.#options.concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift()!;
      this.#dirty.delete(key);
      this.#processing.add(key);
      this.#active++;
      void this.#run(handler, key);
    }
    if (this.#active === 0 && this.#queue.length === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  async #run(handler: KeyHandler, key: string): Promise<void> {
    try {
      const result = await handler(key);
      this.#failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      const retryInMs = this.backoffFor(failures);
      this.#options.onError?.(key, err, retryInMs);
      this.addAfter(key, retryInMs);
    } finally {
      this.#processing.delete(key);
      this.#active--;
      // A key re-added while it was processing waits in the dirty set; queue it now.
      if (this.#dirty.has(key) && !this.#queue.includes(key)) this.#queue.push(key);
      this.#pump();
    }
  }
}
