/** CMAF fragment writer: moof (mfhd, traf(tfhd, tfdt, trun) per track) + mdat, payloads by reference. */
export interface FragmentSample {
  /** in the track's timescale */
  duration: number;
  size: number;
  /** trun sample_flags (see sample-flags.ts) */
  flags: number;
  /** composition time offset (pts - dts) in the track's timescale; may be negative */
  cto: number;
}

export interface FragmentTrack {
  trackId: number;
  /** tfdt baseMediaDecodeTime of the first sample, in the track's timescale */
  baseDecodeTime: number;
  samples: FragmentSample[];
  /** one payload per sample, same order as `samples` */
  data: Buffer[];
}

// trun flags (14496-12 §8.8.8.1)
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_DURATION = 0x000100;
const TRUN_SIZE = 0x000200;
const TRUN_FLAGS = 0x000400;
const TRUN_CTO = 0x000800;
// tfhd flag "default-base-is-moof": data offsets are relative to the first byte of the moof.
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

function needsCto(t: FragmentTrack): boolean {
  for (const s of t.samples) if (s.cto !== 0) return true;
  return false;
}

function trafSize(t: FragmentTrack, cto: boolean): number {
  const perSample = cto ? 16 : 12;
  // traf header 8 + tfhd 16 + tfdt(v1) 20 + trun header 20
  return 8 + 16 + 20 + 20 + perSample * t.samples.length;
}

/**
 * One movie fragment. Returns [moof, mdat header, ...sample payloads]: the payloads are the caller's
 * buffers, untouched, so a sender can writev them or concatenate once (the packager concatenates
 * once per part, which releases the ingest buffers the views point into).
 */
export function buildFragment(seq: number, tracks: FragmentTrack[]): Buffer[] {
  const ctoFlags = tracks.map(needsCto);
  let moofSize = 8 + 16; // moof header + mfhd
  tracks.forEach((t, i) => { moofSize += trafSize(t, ctoFlags[i]!); });
  const moof = Buffer.allocUnsafe(moofSize);
  let o = 0;
  const head = (size: number, type: string): void => {
    moof.writeUInt32BE(size, o);
    moof.write(type, o + 4, 4, 'latin1');
    o += 8;
  };
  head(moofSize, 'moof');
  head(16, 'mfhd');
  moof.writeUInt32BE(0, o); o += 4;
  moof.writeUInt32BE(seq >>> 0, o); o += 4;

  let dataOffset = moofSize + 8; // first payload byte, relative to the moof start
  let mdatSize = 8;
  tracks.forEach((t, i) => {
    const cto = ctoFlags[i]!;
    head(trafSize(t, cto), 'traf');
    head(16, 'tfhd');
    moof.writeUInt32BE(TFHD_DEFAULT_BASE_IS_MOOF, o); o += 4;
    moof.writeUInt32BE(t.trackId, o); o += 4;
    head(20, 'tfdt');
    moof.writeUInt32BE(0x01000000, o); o += 4; // version 1: 64-bit baseMediaDecodeTime
    moof.writeBigUInt64BE(BigInt(Math.max(0, Math.round(t.baseDecodeTime))), o); o += 8;
    const perSample = cto ? 16 : 12;
    head(20 + perSample * t.samples.length, 'trun');
    // Version 1 makes sample_composition_time_offset signed (B-frames with negative offsets).
    const flags = TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | (cto ? TRUN_CTO : 0);
    moof.writeUInt32BE((1 << 24) | flags, o); o += 4;
    moof.writeUInt32BE(t.samples.length, o); o += 4;
    moof.writeInt32BE(dataOffset, o); o += 4;
    let trackBytes = 0;
    for (const s of t.samples) {
      moof.writeUInt32BE(s.duration >>> 0, o); o += 4;
      moof.writeUInt32BE(s.size >>> 0, o); o += 4;
      moof.writeUInt32BE(s.flags >>> 0, o); o += 4;
      if (cto) { moof.writeInt32BE(s.cto | 0, o); o += 4; }
      trackBytes += s.size;
    }
    dataOffset += trackBytes;
    mdatSize += trackBytes;
  });
  const mdatHead = Buffer.allocUnsafe(8);
  mdatHead.writeUInt32BE(mdatSize, 0);
  mdatHead.write('mdat', 4, 4, 'latin1');
  const out: Buffer[] = [moof, mdatHead];
  for (const t of tracks) for (const d of t.data) out.push(d);
  return out;
}
