/**
 * Just enough ISO-BMFF reading to plan an image: the display size of the video track of a CMAF init segment.
 * Reads `moov/trak/tkhd` (display width/height, 16.16) and falls back to the visual sample entry's coded size.
 * Never throws on malformed input: anything it cannot read is reported as "no video".
 */

export interface VideoTrackInfo {
  trackId: number;
  /** display size (tkhd), or the coded size of the sample entry when tkhd has none */
  width: number;
  height: number;
}

interface BoxRef {
  type: string;
  start: number; // payload start
  end: number; // payload end (exclusive)
}

function* boxes(buf: Buffer, start: number, end: number): Generator<BoxRef> {
  let pos = start;
  while (pos + 8 <= end) {
    let size = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    let header = 8;
    if (size === 1) {
      if (pos + 16 > end) return;
      const big = buf.readBigUInt64BE(pos + 8);
      if (big > BigInt(end - pos)) return;
      size = Number(big);
      header = 16;
    } else if (size === 0) {
      size = end - pos;
    }
    if (size < header || pos + size > end) return;
    yield { type, start: pos + header, end: pos + size };
    pos += size;
  }
}

function child(buf: Buffer, parent: BoxRef, type: string): BoxRef | undefined {
  for (const b of boxes(buf, parent.start, parent.end)) if (b.type === type) return b;
  return undefined;
}

/** The first video track of an init segment, or undefined when there is none (or the bytes are not an init). */
export function videoTrackInfo(init: Buffer): VideoTrackInfo | undefined {
  try {
    const moov = [...boxes(init, 0, init.length)].find((b) => b.type === 'moov');
    if (!moov) return undefined;
    for (const trak of boxes(init, moov.start, moov.end)) {
      if (trak.type !== 'trak') continue;
      const mdia = child(init, trak, 'mdia');
      const hdlr = mdia && child(init, mdia, 'hdlr');
      if (!hdlr || hdlr.end - hdlr.start < 12 || init.toString('latin1', hdlr.start + 8, hdlr.start + 12) !== 'vide') continue;
      const tkhd = child(init, trak, 'tkhd');
      if (!tkhd) continue;
      const version = init.readUInt8(tkhd.start);
      const idOff = tkhd.start + (version === 1 ? 20 : 12);
      const sizeOff = tkhd.start + (version === 1 ? 88 : 76);
      if (sizeOff + 8 > tkhd.end) continue;
      const trackId = init.readUInt32BE(idOff);
      let width = Math.round(init.readUInt32BE(sizeOff) / 0x10000);
      let height = Math.round(init.readUInt32BE(sizeOff + 4) / 0x10000);
      if (width === 0 || height === 0) {
        const minf = child(init, mdia, 'minf');
        const stbl = minf && child(init, minf, 'stbl');
        const stsd = stbl && child(init, stbl, 'stsd');
        // stsd: version/flags (4), entry_count (4), then the first sample entry; its width/height sit at 24/26
        if (stsd && stsd.start + 8 + 8 + 28 <= stsd.end) {
          const entry = stsd.start + 8 + 8;
          width = init.readUInt16BE(entry + 24);
          height = init.readUInt16BE(entry + 26);
        }
      }
      if (width === 0 || height === 0) continue;
      return { trackId, width, height };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
