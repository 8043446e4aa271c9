// Privet §4.3 /privet/register and §6.1: local registration with a physical
// confirmation on the front panel. The device only calls the cloud's
// anonymous /register after the user pressed OK (§6.1), holds one session at
// a time (device_busy for anyone else), and times a request out after the
// confirmation window (confirmation_timeout).
import { PrivetError } from './errors.ts';
import type { FrontPanel } from './panel.ts';

export interface ClaimTicket {
  token: string;
  claimUrl: string;
  automatedClaimUrl?: string;
}

/** The cloud half of registration (GCP §b2), implemented by the cloud link. */
export interface Registrar {
  /** Anonymous /register; throws PrivetError (offline, server_error). */
  begin(user: string): Promise<ClaimTicket>;
  /** Polls getauthcode, exchanges the code, stores credentials; returns the device id. */
  complete(ticket: ClaimTicket): Promise<string>;
}

export interface RegistrationTimeouts {
  /** §6.1: "timeout any /register request that does not receive the physical action … within 60 seconds". */
  confirmationMs: number;
  /** A session nobody touches for this long is dropped (the prototype's 60 s). */
  idleMs: number;
}

export const DEFAULT_REGISTRATION_TIMEOUTS: RegistrationTimeouts = { confirmationMs: 60_000, idleMs: 60_000 };

/** §4.3.3 / GCP §b3: device_busy carries a 30 s timeout, pending_user_action 5 s. */
const BUSY_TIMEOUT = 30;
const PENDING_TIMEOUT = 5;

type SessionState = 'waiting' | 'registering' | 'ready' | 'cancelled' | 'timed-out' | 'failed';

interface Session {
  user: string;
  state: SessionState;
  ticket?: ClaimTicket;
  error?: PrivetError;
  claimTokenSent: boolean;
  confirmTimer?: NodeJS.Timeout;
  idleTimer?: NodeJS.Timeout;
}

const ACTIONS = new Set(['start', 'getClaimToken', 'cancel', 'complete']);

export class LocalRegistration {
  private session: Session | undefined;
  private busy = false;

  constructor(
    private readonly panel: FrontPanel,
    private readonly registrar: Registrar,
    private readonly timeouts: RegistrationTimeouts = DEFAULT_REGISTRATION_TIMEOUTS,
    private readonly autoConfirm = false,
  ) {
    panel.on('confirm', () => this.onConfirm());
    panel.on('cancel', () => this.onCancel());
  }

  /** True while a registration prompt is on the panel (it takes the panel's buttons). */
  get prompting(): boolean {
    return this.session?.state === 'waiting';
  }

  async handle(action: string | undefined, user: string | undefined): Promise<Record<string, unknown>> {
    // §4.3.3 invalid_params: "action=unknown or user=".
    if (!action || !ACTIONS.has(action)) throw new PrivetError('invalid_params', `unknown action "${action ?? ''}"`);
    if (!user) throw new PrivetError('invalid_params', 'the user parameter is required');
    // §4.3: "While the device is processing a /privet/register API call, no other … can be processed".
    if (this.busy) throw new PrivetError('device_busy', 'another registration request is being processed', { timeout: BUSY_TIMEOUT });
    this.busy = true;
    try {
      if (action === 'start') return this.start(user);
      const session = this.session;
      if (!session) throw new PrivetError('invalid_action', `${action} before start`);
      // §4.3.1: the user of every action must match the one that started.
      if (session.user !== user) throw new PrivetError('device_busy', `the device is being registered by another user`, { timeout: BUSY_TIMEOUT });
      this.touch(session);
      if (action === 'getClaimToken') return this.claimToken(session);
      if (action === 'cancel') {
        this.end();
        return { action, user };
      }
      return await this.complete(session);
    } finally {
      this.busy = false;
    }
  }

  private start(user: string): Record<string, unknown> {
    const current = this.session;
    // §4.3: a different user gets device_busy; the same user starts over.
    if (current && current.user !== user && ['waiting', 'registering', 'ready'].includes(current.state)) {
      throw new PrivetError('device_busy', 'the device is being registered by another user', { timeout: BUSY_TIMEOUT });
    }
    this.end();
    const session: Session = { user, state: 'waiting', claimTokenSent: false };
    this.session = session;
    session.confirmTimer = setTimeout(() => {
      if (session.state !== 'waiting') return;
      session.state = 'timed-out';
      this.panel.showPrompt(undefined);
    }, this.timeouts.confirmationMs);
    this.touch(session);
    this.panel.showPrompt({ kind: 'register', user });
    if (this.autoConfirm) this.onConfirm();
    return { action: 'start', user };
  }

  private claimToken(session: Session): Record<string, unknown> {
    switch (session.state) {
      case 'waiting':
      case 'registering':
        throw new PrivetError('pending_user_action', session.state === 'waiting' ? 'press OK on the printer to confirm' : 'contacting the server', { timeout: PENDING_TIMEOUT });
      case 'cancelled':
        this.end();
        throw new PrivetError('user_cancel', 'registration was cancelled on the printer');
      case 'timed-out':
        this.end();
        throw new PrivetError('confirmation_timeout', 'nobody confirmed the registration on the printer');
      case 'failed': {
        const error = session.error!;
        this.end();
        throw error;
      }
      case 'ready': {
        session.claimTokenSent = true;
        const ticket = session.ticket!;
        return { action: 'getClaimToken', user: session.user, token: ticket.token, claim_url: ticket.claimUrl, automated_claim_url: ticket.automatedClaimUrl };
      }
    }
  }

  private async complete(session: Session): Promise<Record<string, unknown>> {
    if (session.state !== 'ready' || !session.claimTokenSent) throw new PrivetError('invalid_action', 'complete before getClaimToken');
    const deviceId = await this.registrar.complete(session.ticket!);
    this.end();
    return { action: 'complete', user: session.user, device_id: deviceId };
  }

  private onConfirm(): void {
    const session = this.session;
    if (session?.state !== 'waiting') return;
    session.state = 'registering';
    clearTimeout(session.confirmTimer);
    this.panel.showPrompt(undefined);
    // §6.1: the cloud /register is sent only after the physical confirmation.
    this.registrar.begin(session.user).then(
      (ticket) => {
        if (this.session !== session) return;
        session.ticket = ticket;
        session.state = 'ready';
      },
      (error: unknown) => {
        if (this.session !== session) return;
        session.error = error instanceof PrivetError ? error : new PrivetError('server_error', (error as Error).message);
        session.state = 'failed';
      },
    );
  }

  private onCancel(): void {
    const session = this.session;
    if (session?.state !== 'waiting') return;
    session.state = 'cancelled';
    clearTimeout(session.confirmTimer);
    this.panel.showPrompt(undefined);
  }

  private touch(session: Session): void {
    clearTimeout(session.idleTimer);
    session.idleTimer = setTimeout(() => {
      if (this.session === session) this.end();
    }, this.timeouts.idleMs);
    session.idleTimer.unref();
  }

  /** Drops the current session, if any. */
  end(): void {
    const session = this.session;
    if (!session) return;
    clearTimeout(session.confirmTimer);
    clearTimeout(session.idleTimer);
    if (session.state === 'waiting') this.panel.showPrompt(undefined);
    this.session = undefined;
  }
}
