/**
 * Bounds how many ffmpeg processes run at once, with a bounded queue in front: `admit()` refuses a new request
 * (ImageBusyError, HTTP 503) when every slot is taken and the queue is full; `acquire()` waits for a slot in
 * FIFO order. Work that belongs to an admitted request (the batches of a storyboard) acquires without admission.
 */
import { ImageBusyError } from './errors.js';

export class Limiter {
  private running = 0;
  private closed = false;
  private readonly waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(readonly maxConcurrent: number, readonly maxQueue: number) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiters.length;
  }

  admit(): void {
    if (this.closed) throw new ImageBusyError('image renderer is closed');
    if (this.running >= this.maxConcurrent && this.waiters.length >= this.maxQueue) {
      throw new ImageBusyError(`image renderer is busy (${this.running} running, ${this.waiters.length} queued), retry later`);
    }
  }

  async acquire(): Promise<() => void> {
    if (this.closed) throw new ImageBusyError('image renderer is closed');
    if (this.running < this.maxConcurrent) {
      this.running++;
    } else {
      await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next.resolve(); // the slot passes to the next waiter
      else this.running--;
    };
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new ImageBusyError('image renderer is closed'));
  }
}
