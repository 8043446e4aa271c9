// What the CCS has exchanged since start, for /metrics (./metrics.ts): each
// hub counts the messages, ACKs and NACKs it receives and sends, by peer;
// the queues count their reads of what is pending for a device or sender.
export type CcsPeer = 'app_server' | 'device';
export type CcsDirection = 'in' | 'out';
export type CcsMessageType = 'message' | 'ack' | 'nack';

export interface CcsCount {
  peer: CcsPeer;
  direction: CcsDirection;
  type: CcsMessageType;
  value: number;
}

export type CcsQueue = 'downstream' | 'upstream';

export class CcsCounters {
  private readonly counts = new Map<string, CcsCount>();
  /** Reads of a device's or a sender's pending messages (MessageQueues.pendingDownstream / pendingUpstream). */
  readonly queueReads: Record<CcsQueue, number> = { downstream: 0, upstream: 0 };

  count(peer: CcsPeer, direction: CcsDirection, type: CcsMessageType): void {
    const key = `${peer} ${direction} ${type}`;
    const entry = this.counts.get(key);
    if (entry) entry.value++;
    else this.counts.set(key, { peer, direction, type, value: 1 });
  }

  all(): CcsCount[] {
    return [...this.counts.values()];
  }
}
