// Group commit: items submitted while a flush is running (or within the same
// turn of the event loop) are written together by the next flush, in one
// transaction. Every submitter's promise settles only after its flush
// committed, so nothing is acknowledged before it is durable.

/**
 * ACKs (a device's for downstream messages: deleted, receipts queued; an app
 * server's for upstream ones: marked) are written in batches gathered this
 * long: nothing waits on them but receipts, and ACKs from thousands of
 * devices, or one app server's at a steady rate, would otherwise come one
 * or two per batch.
 */
export const ACK_GATHER_MS = 5;

/** Called once an item's batch is written: `error` null and the item's result, or the error. */
export type Settled<R> = (error: unknown, result?: R) => void;

export class GroupCommit<T, R> {
  // Parallel arrays, not an entry object per item: the message path submits several items per message.
  private items: T[] = [];
  private callbacks: Array<Settled<R>> = [];
  /** With `keyOf`: the keys of the items added and not yet settled. */
  private readonly unsettled = new Set<string>();
  private running = false;

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly options: {
      maxBatch?: number;
      /**
       * How long a batch gathers before it is written; 0 = until the end of
       * this turn of the event loop. For writes nobody waits on, a few
       * milliseconds make batches several times larger.
       */
      gatherMs?: number;
      /** Names items, for writing(): an ACK by its message's id. */
      keyOf?: (item: T) => string;
    } = {},
  ) {}

  /** Whether an item named `key` (options.keyOf) was added and its batch is not written yet: a read of the store meanwhile still sees it unwritten. */
  writing(key: string): boolean {
    return this.unsettled.has(key);
  }

  /** Queues `item`; `settled` runs once its batch committed (or failed). */
  add(item: T, settled: Settled<R>): void {
    this.items.push(item);
    this.callbacks.push(settled);
    if (this.options.keyOf) this.unsettled.add(this.options.keyOf(item));
    if (!this.running) {
      this.running = true;
      // Let the rest of this read's stanzas (or of the gathering time) join the batch first.
      if (this.options.gatherMs) setTimeout(() => void this.run(), this.options.gatherMs);
      else setImmediate(() => void this.run());
    }
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => this.add(item, (error, result) => (error === null ? resolve(result as R) : reject(error))));
  }

  /** Resolves once everything submitted so far is written. */
  async idle(): Promise<void> {
    while (this.running || this.items.length) await new Promise((resolve) => setImmediate(resolve));
  }

  private async run(): Promise<void> {
    const maxBatch = this.options.maxBatch ?? 2000;
    while (this.items.length) {
      const batch = this.items.splice(0, maxBatch);
      const callbacks = this.callbacks.splice(0, maxBatch);
      let results: R[];
      try {
        results = await this.flush(batch);
      } catch (error) {
        this.forget(batch);
        for (const settled of callbacks) settled(error);
        continue;
      }
      this.forget(batch);
      for (let i = 0; i < callbacks.length; i++) callbacks[i]!(null, results[i]);
    }
    this.running = false;
  }

  private forget(batch: readonly T[]): void {
    const { keyOf } = this.options;
    if (keyOf) for (const item of batch) this.unsettled.delete(keyOf(item));
  }
}

/** Splits `items` into chunks small enough for one statement's bound parameters. */
export function chunks<T>(items: readonly T[], size = 400): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
