/**
 * The bytes every RTMP connection of a server may hold in partly assembled messages, together. A connection
 * whose next message does not fit is closed (its chunk reader throws RTMP_BUDGET); the process never is.
 */
import { Gauge } from 'prom-client';
import { registry } from '../../metrics.js';
import type { AssemblyBudget } from '../../protocols/rtmp/rtmp-chunk-reader.js';

const inUseGauge = new Gauge({
  name: 'onair_rtmp_assembly_bytes',
  help: 'Bytes reserved by partly received RTMP messages across all connections',
  registers: [registry],
});

const budgetGauge = new Gauge({
  name: 'onair_rtmp_assembly_budget_bytes',
  help: 'The budget of onair_rtmp_assembly_bytes (--rtmp-assembly-budget-mib)',
  registers: [registry],
});

export class SharedAssemblyBudget implements AssemblyBudget {
  private used = 0;

  constructor(readonly limit: number) {
    budgetGauge.set(limit);
  }

  /** Bytes reserved now. */
  get inUse(): number {
    return this.used;
  }

  reserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    inUseGauge.inc(bytes);
    return true;
  }

  release(bytes: number): void {
    this.used -= bytes;
    inUseGauge.dec(bytes);
  }
}
