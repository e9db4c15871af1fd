/** AAC helpers: AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) and ADTS headers (1.A.2.2). */
import { ProtocolError, TruncatedError } from '../errors.js';
import { BitReader } from './bit-reader.js';

/** samplingFrequencyIndex -> Hz (Table 1.18); 0xf = explicit 24-bit frequency */
export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export interface AudioSpecificConfigInfo {
  objectType: number;
  sampleRate: number;
  channels: number;
  codecString: string;
  /** SBR/PS explicit signalling: the output (extension) sampling rate */
  extensionSampleRate?: number;
}

export interface AdtsHeader {
  frameLength: number;
  headerLength: number;
  objectType: number;
  sampleRate: number;
  channels: number;
  samplesPerFrame: 1024;
}

function objectType(r: BitReader): number {
  const t = r.bits(5);
  return t === 31 ? 32 + r.bits(6) : t; // audioObjectTypeExt
}

function frequency(r: BitReader): number {
  const idx = r.bits(4);
  if (idx === 0xf) return r.bits(24);
  const rate = AAC_SAMPLE_RATES[idx];
  if (rate === undefined) throw new ProtocolError('AAC_ASC', `reserved samplingFrequencyIndex ${idx}`);
  return rate;
}

export function parseAudioSpecificConfig(asc: Buffer): AudioSpecificConfigInfo {
  if (asc.length < 2) throw new TruncatedError('AudioSpecificConfig');
  const r = new BitReader(asc);
  const ot = objectType(r);
  if (ot === 0) throw new ProtocolError('AAC_ASC', 'audioObjectType 0');
  const sampleRate = frequency(r);
  const channels = r.bits(4);
  const info: AudioSpecificConfigInfo = { objectType: ot, sampleRate, channels, codecString: `mp4a.40.${ot}` };
  // "if ( audioObjectType == 5 || audioObjectType == 29 )": explicit SBR (and PS) signalling.
  if ((ot === 5 || ot === 29) && r.bitsLeft >= 4) {
    info.extensionSampleRate = frequency(r);
    // the core (AAC-LC) frames run at samplingFrequency; the codec string keeps the signalled type (mp4a.40.5 / .29)
    if (ot === 29 && info.channels === 1) info.channels = 2; // PS decodes mono to stereo
  }
  return info;
}

export function buildAudioSpecificConfig(objectType: number, sampleRateIndex: number, channels: number): Buffer {
  if (objectType < 1 || objectType > 30 || sampleRateIndex < 0 || sampleRateIndex > 12 || channels < 0 || channels > 15) {
    throw new ProtocolError('AAC_ASC', 'AudioSpecificConfig field out of range');
  }
  const v = (objectType << 11) | (sampleRateIndex << 7) | (channels << 3);
  return Buffer.of(v >> 8, v & 0xff);
}

/** Parses the ADTS header at `offset`; undefined when bytes are missing or it is not a valid header. */
export function parseAdtsHeader(buf: Buffer, offset: number): AdtsHeader | undefined {
  if (offset < 0 || offset + 7 > buf.length) return undefined;
  // syncword 0xFFF, then ID, layer ('00'), protection_absent
  if (buf[offset] !== 0xff || (buf[offset + 1]! & 0xf6) !== 0xf0) return undefined;
  const protectionAbsent = buf[offset + 1]! & 1;
  const b2 = buf[offset + 2]!;
  const profile = b2 >> 6;
  const sfIndex = (b2 >> 2) & 0xf;
  const sampleRate = AAC_SAMPLE_RATES[sfIndex];
  if (sampleRate === undefined) return undefined;
  const channels = ((b2 & 1) << 2) | (buf[offset + 3]! >> 6);
  const frameLength = ((buf[offset + 3]! & 3) << 11) | (buf[offset + 4]! << 3) | (buf[offset + 5]! >> 5);
  const headerLength = protectionAbsent ? 7 : 9;
  if (frameLength < headerLength) return undefined;
  return { frameLength, headerLength, objectType: profile + 1, sampleRate, channels, samplesPerFrame: 1024 };
}
