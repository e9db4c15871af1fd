/**
 * Slows down guessing without handing an attacker a way to lock anyone out.
 *
 * Only FAILED logins are counted, and only further failing attempts are refused (429): the auth hook checks the
 * credentials first and always accepts valid ones (secrets are 32 random bytes, so counting cannot be what stops a
 * guesser; it bounds the noise and the work). Failures are counted in fixed windows under two keys:
 * - per (client address, token id): `pairLimit` failures, so guessing at one token id does not touch another;
 * - per client address: `addressLimit` failures over all token ids (and attempts with no credentials at all).
 * IPv6 clients are counted per /64 (one host usually holds a whole /64) and IPv4-mapped addresses as IPv4.
 *
 * Memory is bounded for the whole process: at most `maxEntries` keys. The map is kept in window-start order (a key
 * whose window restarts is re-inserted at the end), so expired keys are dropped from the front in O(expired) and,
 * when every key is live, the oldest window goes first. Once an address is over its limit no new per-token keys are
 * made for it (its address key already refuses every failing attempt).
 */
import { isIPv6 } from 'node:net';

export interface LoginLimits {
  /** failures per (address, token id) per window; the next failure gets 429 */
  pairLimit: number;
  /** failures per address (all token ids) per window */
  addressLimit: number;
  windowMs: number;
  /** keys kept in memory at most (default 50 000, a few MB) */
  maxEntries?: number;
}

interface Window {
  count: number;
  since: number;
}

/** Token ids are UUIDs; an attacker's longer "ids" are cut so they cannot blow up the keys. */
const MAX_ID_CHARS = 64;

export class LoginLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxEntries: number;

  constructor(private readonly limits: LoginLimits) {
    this.maxEntries = limits.maxEntries ?? 50_000;
    if (limits.pairLimit < 1 || limits.addressLimit < 1 || limits.windowMs < 1 || this.maxEntries < 2) {
      throw new Error('login limiter: limits, window and size must be positive');
    }
  }

  /** keys currently held (for tests and metrics) */
  get size(): number {
    return this.windows.size;
  }

  /**
   * Milliseconds a FAILED attempt from this address (for this token id, if any) must wait before failures are
   * counted again, or 0 when this failure should simply be counted (401).
   */
  blockedFor(addr: string, tokenId: string | undefined, now = Date.now()): number {
    const a = clientKey(addr);
    let wait = this.left(`a ${a}`, this.limits.addressLimit, now);
    if (tokenId !== undefined) wait = Math.max(wait, this.left(pairKey(a, tokenId), this.limits.pairLimit, now));
    return wait;
  }

  /** Count one failed login. */
  recordFailure(addr: string, tokenId: string | undefined, now = Date.now()): void {
    const a = clientKey(addr);
    const addrWindow = this.bump(`a ${a}`, now);
    if (tokenId !== undefined && addrWindow.count <= this.limits.addressLimit) this.bump(pairKey(a, tokenId), now);
  }

  private left(key: string, limit: number, now: number): number {
    const w = this.windows.get(key);
    if (!w || w.count < limit) return 0;
    const left = w.since + this.limits.windowMs - now;
    return left > 0 ? left : 0;
  }

  private bump(key: string, now: number): Window {
    const w = this.windows.get(key);
    if (w && w.since + this.limits.windowMs > now) {
      w.count++;
      return w;
    }
    if (w) this.windows.delete(key); // window over: start again at the end of the order
    this.makeRoom(now);
    const fresh = { count: 1, since: now };
    this.windows.set(key, fresh);
    return fresh;
  }

  private makeRoom(now: number): void {
    for (const [key, w] of this.windows) {
      if (this.windows.size < this.maxEntries && w.since + this.limits.windowMs > now) return;
      this.windows.delete(key); // expired, or the oldest window when every key is live
    }
  }
}

function pairKey(addrKey: string, tokenId: string): string {
  return `p ${addrKey} ${tokenId.length > MAX_ID_CHARS ? tokenId.slice(0, MAX_ID_CHARS) : tokenId}`;
}

/** The address a client is counted under: IPv4 as is (also when IPv4-mapped), IPv6 by its /64 prefix. */
export function clientKey(ip: string): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!isIPv6(ip)) return ip;
  const zone = ip.indexOf('%');
  const bare = zone >= 0 ? ip.slice(0, zone) : ip;
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}
