/**
 * The transcoding ladder: which renditions a live stream gets from its source size, its `maxResolution`
 * and the configured rungs (`--ladder`). Pure functions, no I/O.
 *
 * Resolutions are named by the short side ("720p" is 1280x720 landscape, 720x1280 portrait), so a portrait
 * source gets the same ladder as a landscape one. Rungs keep the source's aspect ratio with even dimensions.
 */

/** One configured rung: its short side in pixels and its video bitrate. */
export interface LadderRung {
  height: number;
  bitrateKbps: number;
}

/** One rendition to encode. */
export interface PlannedRung {
  /** stable, readable name used in URLs: "720p" */
  name: string;
  width: number;
  height: number;
  bitrateKbps: number;
}

export interface LadderPlan {
  /** the source itself is a rendition (it is at or below maxResolution): passed through, never re-encoded */
  sourceListed: boolean;
  /** transcoded rungs, highest first (empty: nothing to encode) */
  rungs: PlannedRung[];
}

export const DEFAULT_LADDER = '1080p:5000,720p:3000,480p:1200,360p:600';

const RES_RE = /^(\d{3,4})p$/;

/** "720p" -> 720; undefined when the text is not a resolution name. */
export function resolutionHeight(name: string): number | undefined {
  const m = RES_RE.exec(name.trim());
  if (!m) return undefined;
  const h = Number(m[1]);
  return h >= 100 && h <= 4320 ? h : undefined;
}

/**
 * Parses `--ladder` ("1080p:5000,720p:3000,...", bitrates in kbit/s). Throws an Error that says what is
 * wrong with which entry. The result is sorted highest first, duplicates refused.
 */
export function parseLadder(text: string): LadderRung[] {
  const entries = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (entries.length === 0) throw new Error('--ladder: no rungs given (e.g. 1080p:5000,720p:3000,480p:1200,360p:600)');
  const out: LadderRung[] = [];
  for (const e of entries) {
    const [res, rate, extra] = e.split(':');
    const height = resolutionHeight(res ?? '');
    const kbps = Number(rate);
    if (extra !== undefined || height === undefined || height % 2 !== 0 || !Number.isInteger(kbps) || kbps < 50 || kbps > 100_000) {
      throw new Error(`--ladder: bad rung "${e}": expected <even height 100-4320>p:<kbit/s 50-100000>, e.g. 720p:3000`);
    }
    if (out.some((r) => r.height === height)) throw new Error(`--ladder: ${height}p is listed twice`);
    out.push({ height, bitrateKbps: kbps });
  }
  return out.sort((a, b) => b.height - a.height);
}

const even = (x: number): number => Math.max(2, Math.round(x / 2) * 2);

/** The size of a rung whose short side is `shortSide`, keeping the source's aspect ratio (even dimensions). */
export function rungSize(source: { width: number; height: number }, shortSide: number): { width: number; height: number } {
  const portrait = source.height > source.width;
  const short = portrait ? source.width : source.height;
  const long = portrait ? source.height : source.width;
  const scaledLong = even((long * shortSide) / short);
  return portrait ? { width: shortSide, height: scaledLong } : { width: scaledLong, height: shortSide };
}

/** The bitrate of a rung at `height` that the ladder does not list: scaled by pixels from the nearest rung. */
function bitrateFor(ladder: LadderRung[], height: number): number {
  const exact = ladder.find((r) => r.height === height);
  if (exact) return exact.bitrateKbps;
  let nearest = ladder[0]!;
  for (const r of ladder) if (Math.abs(r.height - height) < Math.abs(nearest.height - height)) nearest = r;
  return Math.max(50, Math.round(nearest.bitrateKbps * (height / nearest.height) ** 2));
}

/**
 * The renditions of a source of `width`x`height` on a stream capped at `maxResolution` ("1080p", ...):
 * - at or below the cap, the source is passed through, and every ladder rung strictly below it is encoded;
 * - above the cap, the source is not listed: it is scaled down to the cap (a rung at the cap), plus the
 *   ladder rungs below the cap.
 * Never above the source, never above the cap.
 */
export function planLadder(source: { width: number; height: number }, maxResolution: string, ladder: LadderRung[]): LadderPlan {
  if (!(source.width > 0 && source.height > 0)) return { sourceListed: true, rungs: [] };
  const cap = resolutionHeight(maxResolution) ?? 1080;
  const short = Math.min(source.width, source.height);
  const sourceListed = short <= cap;
  const top = sourceListed ? short : cap;
  const heights: number[] = [];
  if (!sourceListed) heights.push(cap);
  for (const r of ladder) if (r.height < top && r.height <= cap && !heights.includes(r.height)) heights.push(r.height);
  heights.sort((a, b) => b - a);
  const rungs = heights.map((h) => ({ name: `${h}p`, ...rungSize(source, h), bitrateKbps: bitrateFor(ladder, h) }));
  return { sourceListed, rungs };
}
