/** Cuts a byte stream of arbitrary slices into 188-byte TS packets, re-synchronising on 0x47 after garbage. */
import { TS_PACKET_SIZE, TS_SYNC_BYTE } from './ts-constants.js';

/** Sync bytes that must follow a candidate, 188 bytes apart, before the reader trusts it again. */
const CONFIRMATIONS = 3;

export class TsPacketReader {
  /** in sync: the start of a packet cut by the end of the previous chunk (always a sync byte first) */
  private readonly carry = Buffer.alloc(TS_PACKET_SIZE);
  private carried = 0;
  /** searching: the tail of the previous chunk from a candidate that could not be confirmed yet */
  private pending: Buffer | undefined;
  private synced = false;
  /** times the reader lost sync and had to search for the next sync byte */
  resyncs = 0;

  /**
   * Calls `onPacket` with a 188-byte view for every whole packet. Views point into `chunk` (or a
   * fresh buffer for a packet spanning two chunks), so the caller must not reuse `chunk` afterwards.
   */
  push(chunk: Buffer, onPacket: (packet: Buffer) => void): void {
    let pos = 0;
    if (this.pending) {
      // Rare (only while searching): the copy lets the scan run over the chunk boundary.
      chunk = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    } else if (this.carried > 0) {
      const need = TS_PACKET_SIZE - this.carried;
      if (chunk.length < need) {
        chunk.copy(this.carry, this.carried);
        this.carried += chunk.length;
        return;
      }
      const packet = Buffer.allocUnsafe(TS_PACKET_SIZE);
      this.carry.copy(packet, 0, 0, this.carried);
      chunk.copy(packet, this.carried, 0, need);
      this.carried = 0;
      pos = need;
      onPacket(packet);
    }
    while (pos < chunk.length) {
      if (chunk[pos] !== TS_SYNC_BYTE) {
        if (this.synced) {
          this.synced = false;
          this.resyncs++;
        }
        pos++;
        continue;
      }
      // In sync, a 0x47 where the next packet should start is taken as is (checking the packet after
      // it would reject a good packet followed by junk). Searching, the candidate must be confirmed.
      if (!this.synced) {
        const verdict = this.confirm(chunk, pos);
        if (verdict === 'no') {
          pos++;
          continue;
        }
        if (verdict === 'later') {
          this.pending = Buffer.from(chunk.subarray(pos));
          return;
        }
        this.synced = true;
      }
      if (chunk.length - pos < TS_PACKET_SIZE) {
        chunk.copy(this.carry, 0, pos);
        this.carried = chunk.length - pos;
        return;
      }
      onPacket(chunk.subarray(pos, pos + TS_PACKET_SIZE));
      pos += TS_PACKET_SIZE;
    }
  }

  /** End of input: trust a candidate still waiting for confirmation and hand out its whole packets. */
  drain(onPacket: (packet: Buffer) => void): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    this.synced = true;
    this.push(pending, onPacket);
  }

  reset(): void {
    this.carried = 0;
    this.pending = undefined;
    this.synced = false;
  }

  /** A lone 0x47 in junk is 1 in 256; four in a row, 188 bytes apart, is 1 in 16 million. */
  private confirm(chunk: Buffer, pos: number): 'yes' | 'no' | 'later' {
    for (let k = 1; k <= CONFIRMATIONS; k++) {
      const next = pos + k * TS_PACKET_SIZE;
      if (next >= chunk.length) return 'later';
      if (chunk[next] !== TS_SYNC_BYTE) return 'no';
    }
    return 'yes';
  }
}
