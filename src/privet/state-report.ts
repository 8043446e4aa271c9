// Reports the printer's CDS semantic state to the cloud (GCP
// §d "Printer state changes are pushed through update semantic_state=", as
// GCP 2.0 devices did), so /printer, /search and the jobs' causes follow the
// device within `delayMs` of a change. Changes are gathered for `delayMs`
// (never postponed further), an unchanged state is not re-sent, one report
// is in flight at a time, and a failed report is retried on the next change
// or reconnection (`resend`).

export type SendState = (cds: Record<string, unknown>) => Promise<void>;

export class StateReporter {
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  /** JSON of the state the cloud has (undefined: unknown, send the next one). */
  private reported: string | undefined;

  constructor(
    private readonly current: () => Record<string, unknown>,
    private readonly send: SendState,
    private readonly delayMs: number,
  ) {}

  /** The state may have changed: report it within `delayMs` if it did. */
  changed(): void {
    if (this.timer || this.sending) return;
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  /** The cloud's copy is unknown (a reconnection): report the state even if unchanged. */
  resend(): void {
    this.reported = undefined;
    this.changed();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const state = this.current();
    const text = JSON.stringify(state);
    if (text === this.reported) return;
    this.sending = true;
    try {
      await this.send(state);
      this.reported = text;
    } catch {
      this.reported = undefined;
    } finally {
      this.sending = false;
    }
    // A change during the report: the newest state goes next.
    if (JSON.stringify(this.current()) !== this.reported && this.reported !== undefined) this.changed();
  }
}
