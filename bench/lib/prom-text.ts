/** Reading Prometheus text exposition (what onair's /metrics serves) for the bench: sums of a counter's series. */
import { fetchWithTimeout } from './wait.js';

/**
 * Sum of every sample of `name` (`name value` or `name{labels} value`) whose label text contains each of `labels`
 * (e.g. ['kind="part"']). Comment lines and other metrics sharing the prefix (name_bucket, name2) are skipped.
 */
export function sumMetric(text: string, name: string, labels: readonly string[] = []): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const next = line[name.length];
    if (next !== '{' && next !== ' ') continue;
    const labelText = next === '{' ? line.slice(name.length + 1, line.lastIndexOf('}')) : '';
    if (!labels.every((l) => labelText.includes(l))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

export async function fetchMetrics(apiOrigin: string, timeoutMs = 5000): Promise<string> {
  const res = await fetchWithTimeout(`${apiOrigin}/metrics`, {}, timeoutMs);
  const text = await res.text();
  if (!res.ok) throw new Error(`GET /metrics -> ${res.status}: ${text.slice(0, 120)}`);
  return text;
}
