// Who may use the status page: whoever holds the token derived from the cluster authkey (`berth
// ui` prints it) or the password of --ui-password-file. A login opens a session: a random id in an
// HttpOnly, SameSite=Strict cookie (never readable by the page's script) and a CSRF token the page
// sends back in a header with every POST. The authkey itself never leaves the controller.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'berth_ui';
export const CSRF_HEADER = 'x-berth-csrf';
/** A session lasts this long after its last use. */
export const SESSION_IDLE_MS = 12 * 3600_000;

/** The page's token for a cluster authkey: an HMAC of a fixed label, so that it reveals nothing of the key. */
export function uiToken(key: Buffer): string {
  return createHmac('sha256', key).update('berth status page token v1').digest('base64url');
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
/** Equal without telling how much of it was: both sides hashed to one length first. */
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export interface Session { id: string; csrf: string; lastUsed: number }

/** Failed logins allowed in a minute, from anywhere; beyond, every login waits (a password of 8
 * characters must not be guessable at the speed of the network). */
export const FAILED_LOGINS_PER_MINUTE = 10;

export class Sessions {
  private readonly byId = new Map<string, Session>();
  private failures: number[] = [];

  /** secrets: the token, and the password when a password file is given */
  constructor(private readonly secrets: readonly string[], private readonly now: () => number = Date.now) {}

  /** A new session when `secret` is one of the secrets; 'throttled' after too many failures. */
  login(secret: string): Session | 'throttled' | undefined {
    const t = this.now();
    this.failures = this.failures.filter((f) => t - f < 60_000);
    if (this.failures.length >= FAILED_LOGINS_PER_MINUTE) return 'throttled';
    let ok = false;
    if (typeof secret === 'string' && secret && secret.length <= 1024) for (const s of this.secrets) if (same(secret, s)) ok = true;
    if (!ok) {
      this.failures.push(t);
      return undefined;
    }
    this.expire();
    const session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(24).toString('base64url'), lastUsed: this.now() };
    this.byId.set(session.id, session);
    return session;
  }

  /** The session of a request's Cookie header, when it is open. */
  of(cookieHeader: string | undefined): Session | undefined {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s || this.now() - s.lastUsed > SESSION_IDLE_MS) return undefined;
    s.lastUsed = this.now();
    return s;
  }

  /** Whether a POST carries its session's CSRF token. */
  csrfOk(s: Session, header: string | string[] | undefined): boolean {
    return typeof header === 'string' && same(header, s.csrf);
  }

  logout(s: Session): void {
    this.byId.delete(s.id);
  }

  private expire(): void {
    const t = this.now();
    for (const [id, s] of this.byId) if (t - s.lastUsed > SESSION_IDLE_MS) this.byId.delete(id);
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export const sessionCookie = (s: Session) => `${SESSION_COOKIE}=${s.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_IDLE_MS / 1000}`;
export const clearedCookie = `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
