/** Writes PES packets and PSI sections into whole 188-byte TS packets (headers, adaptation fields, stuffing). */
import { TS_BODY_SIZE, TS_CLOCK_WRAP, TS_PACKET_SIZE, TS_SYNC_BYTE } from './ts-constants.js';

/** Adaptation-field content wanted on the first packet of a PES. */
export interface FirstPacketFields {
  /** PCR base in 90 kHz units (wrapped to 33 bits here) */
  pcr?: number;
  /** random_access_indicator: the PES starts a keyframe */
  randomAccess?: boolean;
}

/** Bytes the first packet's adaptation field needs: length + flags (+ 6 for a PCR), or 0 for none. */
function firstAfSize(first: FirstPacketFields): number {
  if (first.pcr !== undefined) return 8;
  return first.randomAccess ? 2 : 0;
}

/** How many TS packets a PES of `pesLength` bytes takes. */
export function pesPacketCount(pesLength: number, first: FirstPacketFields): number {
  const firstCapacity = TS_BODY_SIZE - firstAfSize(first);
  return 1 + Math.ceil(Math.max(0, pesLength - firstCapacity) / TS_BODY_SIZE);
}

function writeHeader(out: Buffer, pos: number, pid: number, unitStart: boolean, withAf: boolean, cc: number): void {
  out[pos] = TS_SYNC_BYTE;
  out[pos + 1] = (unitStart ? 0x40 : 0) | ((pid >> 8) & 0x1f);
  out[pos + 2] = pid & 0xff;
  // adaptation_field_control: '01' payload only, '11' adaptation field followed by payload.
  out[pos + 3] = (withAf ? 0x30 : 0x10) | (cc & 0x0f);
}

/**
 * Adaptation field of `size` bytes in total (length byte included) at `pos`. "stuffing_byte ... 0xFF"
 * fills what the flags do not use, which is how the last packet of a PES is padded to 188 bytes.
 */
function writeAdaptationField(out: Buffer, pos: number, size: number, fields: FirstPacketFields): void {
  out[pos] = size - 1; // adaptation_field_length
  if (size === 1) return;
  let flags = 0;
  if (fields.randomAccess) flags |= 0x40;
  let p = pos + 2;
  if (fields.pcr !== undefined) {
    flags |= 0x10;
    const base = ((Math.floor(fields.pcr) % TS_CLOCK_WRAP) + TS_CLOCK_WRAP) % TS_CLOCK_WRAP;
    // program_clock_reference_base (33), reserved (6), program_clock_reference_extension (9) = 0.
    out.writeUInt32BE(Math.floor(base / 2), p);
    out[p + 4] = ((base % 2) << 7) | 0x7e;
    out[p + 5] = 0;
    p += 6;
  }
  out[pos + 1] = flags;
  out.fill(0xff, p, pos + size);
}

/**
 * Write a PES (`pieces` concatenated) as TS packets into `out` at `offset`. Returns the next
 * continuity_counter. `out` must have room for `pesPacketCount(...)` packets.
 */
export function writePesPackets(
  out: Buffer,
  offset: number,
  pid: number,
  cc: number,
  pieces: readonly Buffer[],
  pesLength: number,
  first: FirstPacketFields,
): number {
  let remaining = pesLength;
  let pieceIndex = 0;
  let pieceOffset = 0;
  let pos = offset;
  let isFirst = true;
  while (isFirst || remaining > 0) {
    const mandatoryAf = isFirst ? firstAfSize(first) : 0;
    const take = Math.min(TS_BODY_SIZE - mandatoryAf, remaining);
    const afSize = TS_BODY_SIZE - take;
    writeHeader(out, pos, pid, isFirst, afSize > 0, cc);
    if (afSize > 0) writeAdaptationField(out, pos + 4, afSize, isFirst ? first : {});
    let dst = pos + 4 + afSize;
    let left = take;
    while (left > 0) {
      const piece = pieces[pieceIndex]!;
      const n = Math.min(left, piece.length - pieceOffset);
      piece.copy(out, dst, pieceOffset, pieceOffset + n);
      dst += n;
      left -= n;
      pieceOffset += n;
      if (pieceOffset === piece.length) {
        pieceIndex++;
        pieceOffset = 0;
      }
    }
    remaining -= take;
    cc = (cc + 1) & 0x0f;
    pos += TS_PACKET_SIZE;
    isFirst = false;
  }
  return cc;
}

/** One PSI section (< 183 bytes) in one packet: pointer_field 0, the section, 0xFF fill. Returns the next CC. */
export function writePsiPacket(out: Buffer, offset: number, pid: number, cc: number, section: Buffer): number {
  writeHeader(out, offset, pid, true, false, cc);
  out[offset + 4] = 0; // pointer_field
  section.copy(out, offset + 5);
  out.fill(0xff, offset + 5 + section.length, offset + TS_PACKET_SIZE);
  return (cc + 1) & 0x0f;
}
