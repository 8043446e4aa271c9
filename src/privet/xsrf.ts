// Privet §6.2: the X-Privet-Token. XSRF_token =
// base64(SHA1(device_secret ":" issue_timecounter) ":" issue_timecounter),
// with a device secret that is new on every start and tokens valid 24 h.
import { createHash, randomBytes } from 'node:crypto';

const DELIMITER = ':';
export const TOKEN_VALIDITY_SECONDS = 24 * 3600;

export class XsrfTokens {
  /** Privet §6.2: "Device secret MUST be updated on every restart". */
  private readonly secret = randomBytes(8).toString('hex');

  constructor(
    /** Seconds since some fixed event; must not go backwards while running. */
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
    private readonly validitySeconds = TOKEN_VALIDITY_SECONDS,
  ) {}

  private digest(counter: string): string {
    return createHash('sha1').update(this.secret + DELIMITER + counter).digest('base64');
  }

  issue(): string {
    const counter = String(this.clock());
    return Buffer.from(this.digest(counter) + DELIMITER + counter).toString('base64');
  }

  isValid(token: string | undefined): boolean {
    if (!token) return false;
    const decoded = Buffer.from(token, 'base64').toString('latin1');
    const at = decoded.lastIndexOf(DELIMITER);
    if (at < 0) return false;
    const counter = decoded.slice(at + 1);
    if (!/^\d{1,15}$/.test(counter) || decoded.slice(0, at) !== this.digest(counter)) return false;
    const age = this.clock() - Number(counter);
    return age >= 0 && age <= this.validitySeconds;
  }
}
