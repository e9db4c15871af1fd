/**
 * Slows down guessing: counts failed logins per client address in memory; once an address reaches the limit
 * inside the window, its requests get 429 (with Retry-After) until the window ends. Other addresses are untouched.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly limit: number, private readonly windowMs: number) {}

  /** Milliseconds this address must wait, or 0 when it may try. */
  blockedFor(addr: string, now = Date.now()): number {
    const f = this.failures.get(addr);
    if (!f) return 0;
    const left = f.since + this.windowMs - now;
    if (left <= 0) {
      this.failures.delete(addr);
      return 0;
    }
    return f.count >= this.limit ? left : 0;
  }

  recordFailure(addr: string, now = Date.now()): void {
    const f = this.failures.get(addr);
    if (!f || f.since + this.windowMs <= now) this.failures.set(addr, { count: 1, since: now });
    else f.count++;
    if (this.failures.size > 10_000) this.purge(now);
  }

  private purge(now: number): void {
    for (const [addr, f] of this.failures) if (f.since + this.windowMs <= now) this.failures.delete(addr);
  }
}
