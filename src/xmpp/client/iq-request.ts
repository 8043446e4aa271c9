// IQ request and answer (RFC 6120 §8.2.3): every get or set is answered by
// exactly one result or error with the same id, from the entity it was sent
// to, or with no `from` when the server answers itself (§8.1.2.1: only the
// server can send a stanza without one). IqRequests correlates the answers with the requests waiting for them and
// gives each a deadline, after which its waiter is removed.
import { randomBytes } from 'node:crypto';
import type { Element } from 'ltx';

/** An `<iq type="error">` answer; `condition` is the defined condition (RFC 6120 §8.3.3), e.g. `service-unavailable`. */
export class IqError extends Error {
  constructor(
    readonly answer: Element,
    readonly condition: string,
  ) {
    super(`iq error: ${condition}`);
  }
}

export class IqTimeoutError extends Error {}

interface Waiter {
  /** Lower-cased `to` of the request: an answer with another `from` is not this one's (any `from` when the request had none). */
  from: string | undefined;
  resolve(answer: Element): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class IqRequests {
  private readonly waiting = new Map<string, Waiter>();
  /** Unguessable per stream, so another account cannot forge an answer. */
  private readonly prefix = randomBytes(6).toString('base64url');
  private counter = 0;

  /** Gives `iq` a fresh id (unless it has one) and waits up to `timeoutMs` for its answer. */
  wait(iq: Element, timeoutMs: number): Promise<Element> {
    const id = (iq.attrs.id ??= `${this.prefix}${(this.counter++).toString(36)}`) as string;
    if (this.waiting.has(id)) throw new Error(`an iq with id ${id} is already waiting`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new IqTimeoutError(`no answer to the iq ${iq.getChildElements()[0]?.getName() ?? ''} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { from: (iq.attrs.to as string | undefined)?.toLowerCase(), resolve, reject, timer });
    });
  }

  /** Settles the request `stanza` answers; false when it answers none. */
  settle(stanza: Element): boolean {
    const { type, id, from } = stanza.attrs as Record<string, string | undefined>;
    if (stanza.name !== 'iq' || (type !== 'result' && type !== 'error') || id === undefined) return false;
    const waiter = this.waiting.get(id);
    if (!waiter || (waiter.from !== undefined && from !== undefined && from.toLowerCase() !== waiter.from)) return false;
    this.waiting.delete(id);
    clearTimeout(waiter.timer);
    if (type === 'result') waiter.resolve(stanza);
    else waiter.reject(new IqError(stanza, stanza.getChild('error')?.getChildElements()[0]?.getName() ?? 'undefined-condition'));
    return true;
  }

  /** Rejects every waiting request, e.g. when the stream closes. */
  rejectAll(error: Error): void {
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.waiting.clear();
  }

  /** Requests still waiting for an answer. */
  get size(): number {
    return this.waiting.size;
  }
}
