/** AMF0 decoder with depth and size bounds: hostile input ends in a ProtocolError, never a huge allocation. */
import { ProtocolError, TruncatedError } from '../errors.js';
import { Amf0Marker, type Amf0Object, type Amf0Value } from './amf0-types.js';

export interface Amf0DecodeLimits {
  /** nesting of objects/arrays (default 32) */
  maxDepth: number;
  /** properties per object / elements per array (default 65536) */
  maxEntries: number;
}

const DEFAULT_LIMITS: Amf0DecodeLimits = { maxDepth: 32, maxEntries: 65536 };

/** Decodes consecutive AMF0 values from one buffer (an RTMP command or data message body). */
export class Amf0Decoder {
  pos: number;
  private readonly limits: Amf0DecodeLimits;

  constructor(private readonly buf: Buffer, offset = 0, limits: Partial<Amf0DecodeLimits> = {}) {
    this.pos = offset;
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Reads one value. */
  read(): Amf0Value {
    return this.value(0);
  }

  /** Reads every remaining value. */
  readAll(): Amf0Value[] {
    const out: Amf0Value[] = [];
    while (this.pos < this.buf.length) out.push(this.value(0));
    return out;
  }

  private need(n: number, what: string): void {
    if (this.buf.length - this.pos < n) throw new TruncatedError(`AMF0 ${what}`);
  }

  private value(depth: number): Amf0Value {
    this.need(1, 'marker');
    const marker = this.buf[this.pos++]!;
    switch (marker) {
      case Amf0Marker.Number: {
        this.need(8, 'number');
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case Amf0Marker.Boolean:
        this.need(1, 'boolean');
        return this.buf[this.pos++] !== 0;
      case Amf0Marker.String:
        return this.shortString();
      case Amf0Marker.LongString: {
        this.need(4, 'long string length');
        const len = this.buf.readUInt32BE(this.pos);
        this.pos += 4;
        return this.utf8(len);
      }
      case Amf0Marker.Null:
        return null;
      case Amf0Marker.Undefined:
        return undefined;
      case Amf0Marker.Object:
        return this.properties(depth + 1);
      case Amf0Marker.EcmaArray:
        // "associative-count" is advisory: the list still ends with the object-end marker.
        this.need(4, 'ecma array count');
        this.pos += 4;
        return this.properties(depth + 1);
      case Amf0Marker.StrictArray: {
        this.need(4, 'strict array count');
        const count = this.buf.readUInt32BE(this.pos);
        this.pos += 4;
        // Every element takes at least one byte: a count beyond the bytes left is a lie.
        if (count > this.remaining || count > this.limits.maxEntries) {
          throw new ProtocolError('AMF0_SIZE', `AMF0 strict array count ${count} too large`);
        }
        this.enter(depth + 1);
        const arr: Amf0Value[] = new Array(count);
        for (let i = 0; i < count; i++) arr[i] = this.value(depth + 1);
        return arr;
      }
      case Amf0Marker.Date: {
        // date-type = date-marker DOUBLE time-zone (S16, "reserved, not supported, should be 0")
        this.need(10, 'date');
        const ms = this.buf.readDoubleBE(this.pos);
        this.pos += 10;
        return new Date(ms);
      }
      case Amf0Marker.ObjectEnd:
        throw new ProtocolError('AMF0_UNEXPECTED_END', 'AMF0 object-end marker outside an object');
      default:
        throw new ProtocolError('AMF0_MARKER', `unsupported AMF0 marker 0x${marker.toString(16)}`);
    }
  }

  private enter(depth: number): void {
    if (depth > this.limits.maxDepth) {
      throw new ProtocolError('AMF0_DEPTH', `AMF0 nesting deeper than ${this.limits.maxDepth}`);
    }
  }

  private shortString(): string {
    this.need(2, 'string length');
    const len = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return this.utf8(len);
  }

  private utf8(len: number): string {
    this.need(len, 'string');
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** object-property* followed by UTF-8-empty + object-end-marker */
  private properties(depth: number): Amf0Object {
    this.enter(depth);
    const obj: Amf0Object = {};
    let count = 0;
    for (;;) {
      const key = this.shortString();
      if (key === '') {
        this.need(1, 'object end');
        if (this.buf[this.pos] === Amf0Marker.ObjectEnd) {
          this.pos++;
          return obj;
        }
      }
      if (++count > this.limits.maxEntries) {
        throw new ProtocolError('AMF0_SIZE', `AMF0 object with more than ${this.limits.maxEntries} properties`);
      }
      const v = this.value(depth);
      // defineProperty: a key named "__proto__" must stay data, not rewrite the prototype.
      Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
}

/** Decodes every AMF0 value in `buf`. */
export function decodeAmf0(buf: Buffer, limits?: Partial<Amf0DecodeLimits>): Amf0Value[] {
  return new Amf0Decoder(buf, 0, limits).readAll();
}
