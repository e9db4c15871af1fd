/**
 * FastPix `fit_mode` as sizes and an ffmpeg filter chain. Pure: the source's display size in, the output size
 * and the `-vf` chain out.
 *
 * - preserve: fit inside width x height keeping the aspect ratio (the image may be smaller on one side);
 * - stretch:  exactly width x height, aspect ignored;
 * - crop:     fill width x height keeping the aspect ratio, cut the excess evenly on both sides;
 * - pad:      fit inside width x height keeping the aspect ratio, then black bars up to exactly width x height.
 * With only one of width/height, the other follows the source's aspect ratio (every mode); with neither, the
 * image has the source's display size.
 */
import { ImageRequestError } from './errors.js';

export type FitMode = 'preserve' | 'stretch' | 'crop' | 'pad';
export const FIT_MODES: readonly FitMode[] = ['preserve', 'stretch', 'crop', 'pad'];

/** Largest width or height of a requested image. */
export const MAX_IMAGE_DIMENSION = 4096;
/** Largest intermediate picture (crop scales beyond the target before cutting). */
const MAX_SCALED_DIMENSION = 16384;

export interface SizePlan {
  width: number;
  height: number;
  /** the filter chain (scale, crop/pad, setsar) for `-vf` */
  filter: string;
}

export function checkDimension(what: string, v: number | undefined): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < 1 || v > MAX_IMAGE_DIMENSION) {
    throw new ImageRequestError(`${what} must be an integer between 1 and ${MAX_IMAGE_DIMENSION}, got ${String(v)}`);
  }
}

export function planSize(source: { width: number; height: number }, req: { width?: number; height?: number; fitMode: FitMode }): SizePlan {
  checkDimension('width', req.width);
  checkDimension('height', req.height);
  if (!FIT_MODES.includes(req.fitMode)) throw new ImageRequestError(`fit mode must be one of ${FIT_MODES.join(', ')}, got ${String(req.fitMode)}`);
  const W = source.width;
  const H = source.height;
  const { width: w, height: h } = req;
  let plan: SizePlan;
  if (w === undefined && h === undefined) {
    plan = { width: W, height: H, filter: `scale=${W}:${H}` };
  } else if (w === undefined || h === undefined) {
    const ow = w ?? Math.max(1, Math.round((h! * W) / H));
    const oh = h ?? Math.max(1, Math.round((w! * H) / W));
    plan = { width: ow, height: oh, filter: `scale=${ow}:${oh}` };
  } else if (req.fitMode === 'stretch') {
    plan = { width: w, height: h, filter: `scale=${w}:${h}` };
  } else if (req.fitMode === 'crop') {
    const s = Math.max(w / W, h / H);
    const sw = Math.max(w, Math.round(W * s));
    const sh = Math.max(h, Math.round(H * s));
    if (sw > MAX_SCALED_DIMENSION || sh > MAX_SCALED_DIMENSION) {
      throw new ImageRequestError(`crop to ${w}x${h} would scale the ${W}x${H} source beyond ${MAX_SCALED_DIMENSION} pixels`);
    }
    plan = { width: w, height: h, filter: `scale=${sw}:${sh},format=yuv444p,crop=${w}:${h}:${Math.floor((sw - w) / 2)}:${Math.floor((sh - h) / 2)}` };
  } else {
    const s = Math.min(w / W, h / H);
    const fw = Math.min(w, Math.max(1, Math.round(W * s)));
    const fh = Math.min(h, Math.max(1, Math.round(H * s)));
    if (req.fitMode === 'preserve') {
      plan = { width: fw, height: fh, filter: `scale=${fw}:${fh}` };
    } else {
      plan = {
        width: w,
        height: h,
        filter: `scale=${fw}:${fh},format=yuv444p,pad=${w}:${h}:${Math.floor((w - fw) / 2)}:${Math.floor((h - fh) / 2)}:color=black`,
      };
    }
  }
  if (plan.width > MAX_IMAGE_DIMENSION || plan.height > MAX_IMAGE_DIMENSION) {
    throw new ImageRequestError(
      `the image would be ${plan.width}x${plan.height}; width and height are limited to ${MAX_IMAGE_DIMENSION} (the source is ${W}x${H})`,
    );
  }
  plan.filter += ',setsar=1';
  return plan;
}
