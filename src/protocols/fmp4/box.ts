/** ISO-BMFF box primitives (ISO/IEC 14496-12 §4.2): size + fourcc header around a payload. */

/** A box: 32-bit size, 4-character type, then the payload parts in order. */
export function box(type: string, ...payload: Buffer[]): Buffer {
  let size = 8;
  for (const p of payload) size += p.length;
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(size, 0);
  head.write(type, 4, 4, 'latin1');
  return Buffer.concat([head, ...payload], size);
}

/** A FullBox: a box whose payload starts with version (8 bits) and flags (24 bits). */
export function fullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  const vf = Buffer.allocUnsafe(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, vf, ...payload);
}

export function u8(v: number): Buffer {
  const b = Buffer.allocUnsafe(1);
  b.writeUInt8(v & 0xff, 0);
  return b;
}

export function u16(v: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(v & 0xffff, 0);
  return b;
}

export function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

export function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

/** 3x3 unity transformation matrix of mvhd/tkhd (16.16 and 2.30 fixed point). */
export const UNITY_MATRIX: Buffer = Buffer.from([
  0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x00, 0x00, 0x00,
]);
