/** AMF0 encoder: values to bytes (commands and onStatus replies the server sends). */
import { ProtocolError } from '../errors.js';
import { Amf0EcmaArray, Amf0Marker, type Amf0Object, type Amf0Value } from './amf0-types.js';

const MAX_DEPTH = 32;

/** Encodes the values one after another into one buffer. */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  const parts: Buffer[] = [];
  for (const v of values) write(parts, v, 0);
  return Buffer.concat(parts);
}

function write(out: Buffer[], v: Amf0Value, depth: number): void {
  if (depth > MAX_DEPTH) throw new ProtocolError('AMF0_DEPTH', 'AMF0 value nested too deep to encode');
  if (v === null) {
    out.push(Buffer.of(Amf0Marker.Null));
  } else if (v === undefined) {
    out.push(Buffer.of(Amf0Marker.Undefined));
  } else if (typeof v === 'number') {
    const b = Buffer.allocUnsafe(9);
    b[0] = Amf0Marker.Number;
    b.writeDoubleBE(v, 1);
    out.push(b);
  } else if (typeof v === 'boolean') {
    out.push(Buffer.of(Amf0Marker.Boolean, v ? 1 : 0));
  } else if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    if (s.length <= 0xffff) {
      const h = Buffer.allocUnsafe(3);
      h[0] = Amf0Marker.String;
      h.writeUInt16BE(s.length, 1);
      out.push(h, s);
    } else {
      const h = Buffer.allocUnsafe(5);
      h[0] = Amf0Marker.LongString;
      h.writeUInt32BE(s.length, 1);
      out.push(h, s);
    }
  } else if (v instanceof Date) {
    const b = Buffer.alloc(11);
    b[0] = Amf0Marker.Date;
    b.writeDoubleBE(v.getTime(), 1);
    out.push(b);
  } else if (Array.isArray(v)) {
    const h = Buffer.allocUnsafe(5);
    h[0] = Amf0Marker.StrictArray;
    h.writeUInt32BE(v.length, 1);
    out.push(h);
    for (const e of v) write(out, e, depth + 1);
  } else if (v instanceof Amf0EcmaArray) {
    const keys = Object.keys(v.entries);
    const h = Buffer.allocUnsafe(5);
    h[0] = Amf0Marker.EcmaArray;
    h.writeUInt32BE(keys.length, 1);
    out.push(h);
    writeProperties(out, v.entries, depth);
  } else {
    out.push(Buffer.of(Amf0Marker.Object));
    writeProperties(out, v, depth);
  }
}

function writeProperties(out: Buffer[], obj: Amf0Object, depth: number): void {
  for (const key of Object.keys(obj)) {
    const k = Buffer.from(key, 'utf8');
    if (k.length > 0xffff) throw new ProtocolError('AMF0_SIZE', 'AMF0 property name longer than 65535 bytes');
    const h = Buffer.allocUnsafe(2);
    h.writeUInt16BE(k.length, 0);
    out.push(h, k);
    write(out, obj[key], depth + 1);
  }
  out.push(Buffer.of(0, 0, Amf0Marker.ObjectEnd));
}
