/** Annex B byte streams (ITU-T H.264 Annex B): split on start codes, convert to 4-byte length prefixes. */

/**
 * Splits an Annex B buffer into NAL units (views, no copies). Leading bytes before the first start
 * code are skipped, and trailing_zero_8bits before the next start code are trimmed.
 */
export function splitAnnexB(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const n = buf.length;
  let start = -1;
  let i = 0;
  while (i + 2 < n) {
    // Fast skip: a start code has 0x00 0x00 0x01; when buf[i+2] > 1 no start code begins at i, i+1 or i+2.
    const b2 = buf[i + 2]!;
    if (b2 > 1) {
      i += 3;
      continue;
    }
    if (b2 === 1 && buf[i] === 0 && buf[i + 1] === 0) {
      if (start >= 0) push(out, buf, start, i);
      start = i + 3;
      i += 3;
      continue;
    }
    i++;
  }
  if (start >= 0) push(out, buf, start, n);
  return out;
}

function push(out: Buffer[], buf: Buffer, start: number, end: number): void {
  while (end > start && buf[end - 1] === 0) end--; // trailing_zero_8bits / the 4-byte start code's zero
  if (end > start) out.push(buf.subarray(start, end));
}

/** Concatenates NAL units, each preceded by its 4-byte big-endian length, into one new buffer. */
export function annexBToLengthPrefixed(nals: Buffer[]): Buffer {
  let size = 0;
  for (const nal of nals) size += 4 + nal.length;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const nal of nals) {
    out.writeUInt32BE(nal.length, p);
    p += 4;
    p += nal.copy(out, p);
  }
  return out;
}
