/** Reassembles PSI sections (PAT, PMT) that may span several TS packets, checking their CRC. */
import { crc32Mpeg } from './crc32-mpeg.js';

/** PSI sections are at most 1024 bytes (section_length <= 1021); allow private sections up to 4096. */
const MAX_SECTION = 4096;

export class PsiSectionAssembler {
  private buf: Buffer | undefined;
  private filled = 0;
  /** sections dropped because their CRC_32 did not check */
  crcErrors = 0;

  /**
   * Feed the payload of one TS packet on a PSI PID. Returns the complete sections it finishes
   * (CRC-checked); corrupt ones are counted in `crcErrors` and dropped.
   */
  push(payload: Buffer, unitStart: boolean, onSection: (section: Buffer) => void): void {
    let pos = 0;
    if (unitStart) {
      // "pointer_field ... the number of bytes, immediately following the pointer_field until the
      // first byte of the first section that is present in the payload".
      if (payload.length < 1) return;
      const pointer = payload[0]!;
      pos = 1;
      if (this.buf && pointer > 0) this.append(payload.subarray(pos, Math.min(payload.length, pos + pointer)), onSection);
      this.buf = undefined;
      pos += pointer;
      // Several sections may start in the same packet; stuffing (0xFF table_id) ends the payload.
      while (pos < payload.length && payload[pos] !== 0xff) {
        if (payload.length - pos < 3) {
          this.start(payload.subarray(pos));
          return;
        }
        const total = 3 + (((payload[pos + 1]! & 0x0f) << 8) | payload[pos + 2]!);
        if (total > MAX_SECTION) return;
        if (pos + total <= payload.length) {
          this.emit(payload.subarray(pos, pos + total), onSection);
          pos += total;
        } else {
          this.start(payload.subarray(pos));
          return;
        }
      }
      return;
    }
    if (this.buf) this.append(payload, onSection);
  }

  reset(): void {
    this.buf = undefined;
    this.filled = 0;
  }

  private start(bytes: Buffer): void {
    this.buf = Buffer.alloc(MAX_SECTION);
    bytes.copy(this.buf, 0);
    this.filled = bytes.length;
  }

  private append(bytes: Buffer, onSection: (section: Buffer) => void): void {
    const buf = this.buf!;
    const n = Math.min(bytes.length, MAX_SECTION - this.filled);
    bytes.copy(buf, this.filled, 0, n);
    this.filled += n;
    if (this.filled < 3) return;
    const total = 3 + (((buf[1]! & 0x0f) << 8) | buf[2]!);
    if (total > MAX_SECTION) {
      this.reset();
      return;
    }
    if (this.filled >= total) {
      this.reset();
      this.emit(buf.subarray(0, total), onSection);
    }
  }

  private emit(section: Buffer, onSection: (section: Buffer) => void): void {
    // The CRC_32 "gives a zero output of the registers in the decoder ... after processing the entire section".
    if (section.length < 8 || crc32Mpeg(section) !== 0) {
      this.crcErrors++;
      return;
    }
    onSection(section);
  }
}
