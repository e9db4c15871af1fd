/** Builds the 7-byte ADTS header (ISO/IEC 14496-3 1.A.2.2) that prefixes each raw AAC frame in MPEG-TS. */
import { ProtocolError } from '../errors.js';

export interface AdtsFields {
  /** MPEG-4 audio object type (2 = AAC LC) */
  objectType: number;
  sampleRateIndex: number;
  channelConfiguration: number;
}

/** Read the fields ADTS can carry from an AudioSpecificConfig (first 2 bytes, no escapes). */
export function adtsFieldsFromAsc(asc: Buffer): AdtsFields {
  if (asc.length < 2) throw new ProtocolError('TS_BAD_CONFIG', 'AudioSpecificConfig shorter than 2 bytes');
  let objectType = asc[0]! >> 3;
  const sampleRateIndex = ((asc[0]! & 0x07) << 1) | (asc[1]! >> 7);
  const channelConfiguration = (asc[1]! >> 3) & 0x0f;
  // ADTS "profile_ObjectType" has 2 bits: only object types 1..4 fit. SBR/PS (5, 29) are carried
  // implicitly over an AAC LC core, which is what a decoder of the ADTS stream then sees.
  if (objectType === 5 || objectType === 29) objectType = 2;
  if (objectType < 1 || objectType > 4 || sampleRateIndex > 12 || channelConfiguration > 7) {
    throw new ProtocolError('TS_BAD_CONFIG', 'AudioSpecificConfig cannot be expressed as ADTS');
  }
  return { objectType, sampleRateIndex, channelConfiguration };
}

export const ADTS_HEADER_SIZE = 7;

/** The header for one frame of `payloadLength` raw bytes (protection_absent = 1, no CRC). */
export function buildAdtsHeader(fields: AdtsFields, payloadLength: number): Buffer {
  const frameLength = ADTS_HEADER_SIZE + payloadLength;
  if (frameLength > 0x1fff) throw new ProtocolError('TS_BAD_FRAME', 'AAC frame too large for ADTS');
  const h = Buffer.alloc(ADTS_HEADER_SIZE);
  h[0] = 0xff; // syncword 0xFFF
  h[1] = 0xf1; // ID 0 (MPEG-4), layer 00, protection_absent 1
  h[2] = ((fields.objectType - 1) << 6) | (fields.sampleRateIndex << 2) | (fields.channelConfiguration >> 2);
  h[3] = ((fields.channelConfiguration & 0x03) << 6) | (frameLength >> 11);
  h[4] = (frameLength >> 3) & 0xff;
  h[5] = ((frameLength & 0x07) << 5) | 0x1f; // adts_buffer_fullness 0x7FF: variable bit rate
  h[6] = 0xfc; // buffer fullness low bits, number_of_raw_data_blocks_in_frame 0
  return h;
}
