/** MSB-first bit reader with Exp-Golomb codes (H.264/HEVC ue(v)/se(v), AV1 uvlc) over RBSP bytes. */
import { TruncatedError, ProtocolError } from '../errors.js';

export class BitReader {
  private pos = 0; // in bits
  private readonly end: number;

  constructor(private readonly buf: Uint8Array, byteOffset = 0) {
    this.pos = byteOffset * 8;
    this.end = buf.length * 8;
  }

  get bitsLeft(): number {
    return this.end - this.pos;
  }

  bit(): number {
    if (this.pos >= this.end) throw new TruncatedError('bitstream');
    const v = (this.buf[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }

  /** Reads up to 32 bits as an unsigned number. */
  bits(n: number): number {
    if (n > 32) throw new ProtocolError('BITS', 'bit field wider than 32');
    if (this.pos + n > this.end) throw new TruncatedError('bitstream');
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw new TruncatedError('bitstream');
    this.pos += n;
  }

  /** ue(v): leadingZeroBits zeros, a one, then leadingZeroBits bits. */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new ProtocolError('EXP_GOLOMB', 'Exp-Golomb code longer than 32 bits');
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.bits(zeros);
  }

  /** se(v): ue mapped 1, -1, 2, -2 ... */
  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** Strips emulation_prevention_three_byte (00 00 03 -> 00 00); returns the input itself when none occur. */
export function unescapeRbsp(nal: Buffer): Buffer {
  let i = nal.indexOf(Buffer.of(0, 0, 3));
  if (i < 0) return nal;
  const out = Buffer.allocUnsafe(nal.length);
  let o = 0;
  let start = 0;
  while (i >= 0) {
    nal.copy(out, o, start, i + 2);
    o += i + 2 - start;
    start = i + 3;
    i = nal.indexOf(Buffer.of(0, 0, 3), start);
  }
  nal.copy(out, o, start);
  o += nal.length - start;
  return out.subarray(0, o);
}
