/** Collects the payloads of one PID's TS packets into whole PES packets, bounded in size. */

/** A PES larger than this is dropped (and counted): bounded memory against hostile input. */
export const DEFAULT_MAX_PES_SIZE = 8 * 1024 * 1024;

export class PesAssembler {
  private parts: Buffer[] = [];
  private size = 0;
  /** total PES size from PES_packet_length, 0 = unbounded (ends at the next unit start) */
  private expected = 0;
  private active = false;

  constructor(private readonly maxSize = DEFAULT_MAX_PES_SIZE) {}

  /**
   * Feed one packet payload; `onPes` receives each completed PES. Returns false when a PES had to
   * be dropped (oversized, or a bounded one cut short by the next unit start).
   */
  push(payload: Buffer, unitStart: boolean, onPes: (pes: Buffer) => void): boolean {
    let ok = true;
    if (unitStart) {
      // "payload_unit_start_indicator ... the payload of this Transport Stream packet will commence
      // with the first byte of a PES packet": whatever was pending is complete.
      if (this.active && this.size > 0) {
        if (this.expected === 0) onPes(this.take());
        else ok = false; // bounded PES cut short
      }
      this.begin(payload);
    } else if (this.active) {
      if (this.size + payload.length > this.maxSize) {
        this.drop();
        return false;
      }
      this.parts.push(payload);
      this.size += payload.length;
    } else {
      return true; // waiting for a unit start
    }
    if (this.active && this.expected > 0 && this.size >= this.expected) onPes(this.take());
    return ok;
  }

  /** Emit a pending unbounded PES (end of stream). */
  flush(onPes: (pes: Buffer) => void): void {
    if (this.active && this.size > 0 && this.expected === 0) onPes(this.take());
    this.drop();
  }

  /** Forget the PES being assembled (continuity gap, PMT change). Returns whether one was pending. */
  drop(): boolean {
    const had = this.active && this.size > 0;
    this.parts = [];
    this.size = 0;
    this.expected = 0;
    this.active = false;
    return had;
  }

  private begin(payload: Buffer): void {
    this.parts = [payload];
    this.size = payload.length;
    this.active = true;
    // PES_packet_length "specifying the number of bytes in the PES packet following the last byte of
    // the field"; 0 means unbounded, "only allowed in a PES packet whose payload consists of bytes
    // from a video elementary stream".
    const declared = payload.length >= 6 ? payload.readUInt16BE(4) : 0;
    this.expected = declared === 0 ? 0 : 6 + declared;
  }

  private take(): Buffer {
    const pes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    const length = this.expected > 0 ? Math.min(this.expected, pes.length) : pes.length;
    this.drop();
    return pes.subarray(0, length);
  }
}
