// Group commit: items submitted while a flush is running (or within the same
// turn of the event loop) are written together by the next flush, in one
// transaction. Every submitter's promise settles only after its flush
// committed, so nothing is acknowledged before it is durable.

export class GroupCommit<T, R> {
  private queue: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private running = false;

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 2000,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the rest of this read's stanzas join the batch first.
        setImmediate(() => void this.run());
      }
    });
  }

  /** Resolves once everything submitted so far is written. */
  async idle(): Promise<void> {
    while (this.running || this.queue.length) await new Promise((resolve) => setImmediate(resolve));
  }

  private async run(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.flush(batch.map((entry) => entry.item));
        batch.forEach((entry, index) => entry.resolve(results[index] as R));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.running = false;
  }
}

/** Splits `items` into chunks small enough for one statement's bound parameters. */
export function chunks<T>(items: readonly T[], size = 400): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
