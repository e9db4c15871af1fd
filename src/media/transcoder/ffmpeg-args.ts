/**
 * The ffmpeg command of one transcoded stream: the source as MPEG-TS on stdin (decoded once), every rung
 * encoded with libx264 (low latency, no B-frames, keyframes exactly at the source's keyframes, source
 * timestamps kept) and written as MPEG-TS to its own pipe (fd 3, 4, ...). Audio is copied (not re-encoded)
 * into every rung so each rendition carries the same audio samples with the same timestamps.
 */
import type { PlannedRung } from './ladder.js';

export interface FfmpegLadderArgs {
  rungs: PlannedRung[];
  /** the source has an audio track to copy into each rung */
  audio: boolean;
  /** x264 preset (default veryfast) */
  preset?: string;
  /** what stdin carries: MPEG-TS (H.264/HEVC, default) or fragmented MP4 (AV1) */
  input?: 'mpegts' | 'mp4';
}

/** File descriptor of rung `i`'s output pipe. */
export const rungFd = (i: number): number => 3 + i;

export function ffmpegLadderArgs(o: FfmpegLadderArgs): string[] {
  const n = o.rungs.length;
  if (n === 0) throw new Error('a ladder needs at least one rung');
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    // timestamps are the source's (-copyts); no -fflags +nobuffer: it loses the first GOPs of a B-frame source
    '-probesize', '1000000', '-analyzeduration', '1000000',
    '-copyts', '-f', o.input ?? 'mpegts', '-i', 'pipe:0',
  ];
  // One decode, one split, one scaler per rung; 8-bit 4:2:0 whatever the source (HEVC Main10, 4:2:2 ...).
  const labels = o.rungs.map((_, i) => `[s${i}]`).join('');
  const chains = o.rungs.map((r, i) => `[s${i}]scale=${r.width}:${r.height},format=yuv420p[v${i}]`);
  args.push('-filter_complex', `[0:v]split=${n}${labels};${chains.join(';')}`);
  o.rungs.forEach((r, i) => {
    args.push('-map', `[v${i}]`);
    if (o.audio) args.push('-map', '0:a?');
    args.push(
      '-c:v', 'libx264', '-preset', o.preset ?? 'veryfast', '-tune', 'zerolatency', '-bf', '0',
      '-b:v', `${r.bitrateKbps}k`, '-maxrate', `${r.bitrateKbps}k`, '-bufsize', `${r.bitrateKbps}k`,
      // keyframes where the source has them, and nowhere else: segments and parts line up across renditions
      '-force_key_frames', 'source', '-x264-params', 'scenecut=0:keyint=100000:min-keyint=1',
      // the source's timestamps to the tick: the encoder's default time base (1/frame rate) rounds ms timestamps (RTMP)
      '-fps_mode', 'passthrough', '-enc_time_base:v', '1:90000',
    );
    if (o.audio) args.push('-c:a', 'copy');
    args.push('-muxdelay', '0', '-muxpreload', '0', '-flush_packets', '1', '-f', 'mpegts', `pipe:${rungFd(i)}`);
  });
  return args;
}
