// Reading one queue (a device's downstream messages, a sender's upstream
// ones) back from the store: at most one read in flight, and a burst of
// requests meanwhile costs one more read after it, which sees everything
// stored before any of them. A message ACKed while a read is in flight is
// remembered until the read is done, since the read may still return it.

export class QueueReads {
  /** Ids ACKed while a read was in flight: what the read returns of them is not handed on again. */
  readonly ackedWhileLoading = new Set<string>();
  private loading = false;
  private again = false;

  /**
   * Runs `read` now, or once more after the read in flight. `read` handles
   * its own errors; `live()` false (the session or sender is gone) ends the
   * repeats.
   */
  request(read: () => Promise<void>, live: () => boolean): void {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    void (async () => {
      do {
        this.again = false;
        await read();
        this.ackedWhileLoading.clear();
      } while (this.again && live());
      this.loading = false;
    })();
  }

  /** The message `id` was ACKed: a read in flight must not hand it on. */
  acked(id: string): void {
    if (this.loading) this.ackedWhileLoading.add(id);
  }
}
