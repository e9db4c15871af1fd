/** Result rows the measurements produce, and the table run.ts prints from them. */

export interface ResultRow {
  /** Which measurement (table row), e.g. "CPU s / stream-minute @40". */
  metric: string;
  /** Which server (table column): onair, nginx-hls, nms. */
  server: string;
  /** The figure, or null when it could not be measured. */
  value: number | null;
  unit: string;
  /** What the cell shows: the figure with context, or "n/a (error ...)". */
  display: string;
  note?: string;
  /** The figure is a bound the run imposed (e.g. the ramp's stream cap), not the server's limit. */
  atLimit?: boolean;
}

/** A target compares onair's figure with nginx-hls's (ratio) or with an absolute bound. */
export interface Target {
  metric: string;
  text: string;
  check: (onair: number, nginx: number | null) => boolean | null;
}

export function row(metric: string, server: string, value: number | null, unit: string, display?: string, note?: string): ResultRow {
  const shown = display ?? (value === null ? 'n/a' : `${formatNumber(value)}${unit ? ` ${unit}` : ''}`);
  return note === undefined ? { metric, server, value, unit, display: shown } : { metric, server, value, unit, display: shown, note };
}

export function errorRow(metric: string, server: string, unit: string, err: unknown): ResultRow {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').slice(0, 90);
  return { metric, server, value: null, unit, display: `n/a (error: ${message})` };
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toString();
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** One table: a line per metric, a column per server, then target and verdict (hit/miss/-). */
export function renderTable(rows: ResultRow[], servers: string[], targets: Target[]): string {
  const metrics = [...new Set(rows.map((r) => r.metric))];
  const header = ['measurement', ...servers, 'target', 'verdict'];
  const lines: string[][] = [header];
  for (const metric of metrics) {
    const cells = servers.map((server) => rows.find((r) => r.metric === metric && r.server === server)?.display ?? '-');
    const target = targets.find((t) => t.metric === metric);
    let verdict = '-';
    if (target) {
      const onair = rows.find((r) => r.metric === metric && r.server === 'onair')?.value ?? null;
      const nginx = rows.find((r) => r.metric === metric && r.server === 'nginx-hls')?.value ?? null;
      const nginxAtLimit = rows.find((r) => r.metric === metric && r.server === 'nginx-hls')?.atLimit === true;
      const ok = onair === null ? null : target.check(onair, nginx);
      // A ratio against a peer that only stopped at the run's cap says nothing about the peer's limit.
      verdict = nginxAtLimit && target.text.includes('nginx') ? 'n/a (nginx at cap)' : ok === null ? 'n/a' : ok ? 'hit' : 'miss';
    }
    lines.push([metric, ...cells, target?.text ?? '', verdict]);
  }
  const widths = header.map((_, i) => Math.min(60, Math.max(...lines.map((line) => line[i]!.length))));
  const out = lines.map((line) => line.map((cell, i) => pad(cell, widths[i]!)).join(' | ').trimEnd());
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('-|-'));
  return out.join('\n');
}
