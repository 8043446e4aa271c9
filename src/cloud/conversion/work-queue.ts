// A bounded worker queue: at most `concurrency` tasks run at once, the rest
// wait in arrival order. Conversions are slow child processes; this keeps a
// burst of submissions from starting a hundred Chromiums on a two-core host.
export class WorkQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly active = new Set<Promise<unknown>>();

  constructor(private readonly concurrency: number) {}

  run<T>(task: () => Promise<T>): Promise<T> {
    const done = this.turn().then(task).finally(() => {
      this.running--;
      this.waiting.shift()?.();
    });
    const settled = done.catch(() => {});
    this.active.add(settled);
    void settled.then(() => this.active.delete(settled));
    return done;
  }

  /** Resolves once every task queued so far has finished. */
  async idle(): Promise<void> {
    while (this.active.size) await Promise.all([...this.active]);
  }

  private turn(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => {
      this.running++;
      resolve();
    }));
  }
}
