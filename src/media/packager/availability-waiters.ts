/** Promises that resolve when a part/segment becomes available (blocking reload), without polling. */

interface Waiter {
  ready: () => boolean;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

export class AvailabilityWaiters {
  private readonly waiters = new Set<Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  /** Resolves true as soon as `ready()` holds (checked now and on every notify), false at the timeout. */
  wait(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const w: Waiter = {
        ready,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          resolve(ready());
        }, Math.max(0, timeoutMs)),
      };
      this.waiters.add(w);
    });
  }

  /** Something changed: resolve every waiter whose condition now holds. */
  notify(): void {
    for (const w of this.waiters) {
      if (w.ready()) this.settle(w, true);
    }
  }

  /** The source is gone: answer everyone now with whatever holds. */
  releaseAll(): void {
    for (const w of this.waiters) this.settle(w, w.ready());
  }

  private settle(w: Waiter, ok: boolean): void {
    clearTimeout(w.timer);
    this.waiters.delete(w);
    w.resolve(ok);
  }
}
