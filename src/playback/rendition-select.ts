/**
 * FastPix's player parameters on a multivariant URL: `maxResolution`, `minResolution`, `resolution` and
 * `renditionOrder` (desc | asc) filter and order the renditions listed. Pure functions.
 */

export interface SelectableRendition {
  /** short side in pixels (720 for 1280x720 and for 720x1280) */
  shortSide: number;
  bandwidth: number;
}

export interface RenditionQuery {
  max?: number;
  min?: number;
  exact?: number;
  order: 'desc' | 'asc';
}

const RES_RE = /^(\d{3,4})p$/;

/** Reads the parameters; a bad value is an error message (answered 400), not silently ignored. */
export function parseRenditionQuery(q: URLSearchParams): RenditionQuery | { error: string } {
  const out: RenditionQuery = { order: 'desc' };
  for (const [param, key] of [['maxResolution', 'max'], ['minResolution', 'min'], ['resolution', 'exact']] as const) {
    const v = q.get(param);
    if (v === null) continue;
    const m = RES_RE.exec(v);
    if (!m) return { error: `${param} must be a resolution such as 1080p, 720p, 480p or 360p (got "${v.slice(0, 32)}")` };
    out[key] = Number(m[1]);
  }
  const order = q.get('renditionOrder');
  if (order !== null) {
    if (order !== 'desc' && order !== 'asc') return { error: `renditionOrder must be desc or asc (got "${order.slice(0, 32)}")` };
    out.order = order;
  }
  if (out.min !== undefined && out.max !== undefined && out.min > out.max) {
    return { error: `minResolution (${out.min}p) is above maxResolution (${out.max}p)` };
  }
  return out;
}

/**
 * The renditions to list, in order. `resolution` keeps the one of that size (else the nearest below it,
 * else the smallest); min/max keep those in the range, and when none is in range, the one nearest to it
 * (a player always gets something to play). Highest first unless `renditionOrder=asc`.
 */
export function selectRenditions<T extends SelectableRendition>(all: readonly T[], q: RenditionQuery): T[] {
  const sorted = [...all].sort((a, b) => b.shortSide - a.shortSide || b.bandwidth - a.bandwidth);
  let picked: T[];
  if (q.exact !== undefined) {
    const exact = q.exact;
    const hit = sorted.find((r) => r.shortSide === exact) ?? sorted.find((r) => r.shortSide < exact) ?? sorted[sorted.length - 1];
    picked = hit ? [hit] : [];
  } else {
    picked = sorted.filter((r) => (q.max === undefined || r.shortSide <= q.max) && (q.min === undefined || r.shortSide >= q.min));
    if (picked.length === 0 && sorted.length > 0) {
      // nothing in range: the nearest one (the smallest when everything is above max, the largest when below min)
      picked = [q.max !== undefined && sorted[sorted.length - 1]!.shortSide > q.max ? sorted[sorted.length - 1]! : sorted[0]!];
    }
  }
  return q.order === 'asc' ? picked.reverse() : picked;
}
