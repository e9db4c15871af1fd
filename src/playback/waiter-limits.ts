/** Caps on concurrent held (blocking) requests, per stream and in total, so waiting clients cannot pile up. */

export class WaiterLimits {
  private total = 0;
  private readonly perStream = new Map<string, number>();

  constructor(private readonly maxPerStream: number, private readonly maxTotal: number) {}

  /** Take a slot; false when a cap is reached (answer 503 instead of holding the request). */
  acquire(streamId: string): boolean {
    const n = this.perStream.get(streamId) ?? 0;
    if (n >= this.maxPerStream || this.total >= this.maxTotal) return false;
    this.perStream.set(streamId, n + 1);
    this.total++;
    return true;
  }

  release(streamId: string): void {
    const n = this.perStream.get(streamId) ?? 0;
    if (n <= 1) this.perStream.delete(streamId);
    else this.perStream.set(streamId, n - 1);
    if (this.total > 0) this.total--;
  }

  get held(): number {
    return this.total;
  }
}
