/** RTMP command messages (RTMP 1.0 spec, section 7.2): decode name/transaction/object/args, build replies. */
import { Amf0Decoder } from '../amf0/amf0-decoder.js';
import { encodeAmf0 } from '../amf0/amf0-encoder.js';
import type { Amf0Object, Amf0Value } from '../amf0/amf0-types.js';
import { ProtocolError } from '../errors.js';
import { MessageType } from './rtmp-message.js';

export interface RtmpCommand {
  name: string;
  transactionId: number;
  /** the command object (null for most stream commands) */
  object: Amf0Value;
  args: Amf0Value[];
}

/** Decodes an AMF0 (type 20) or AMF3-wrapped (type 17) command message body. */
export function decodeCommand(type: number, payload: Buffer): RtmpCommand {
  // Type 17 bodies start with a 0x00 format selector and then hold AMF0 values in practice.
  const start = type === MessageType.CommandAmf3 && payload[0] === 0 ? 1 : 0;
  const d = new Amf0Decoder(payload, start);
  const name = d.read();
  if (typeof name !== 'string') throw new ProtocolError('RTMP_COMMAND', 'command name is not a string');
  const tid = d.remaining > 0 ? d.read() : 0;
  const object = d.remaining > 0 ? d.read() : null;
  const args: Amf0Value[] = [];
  while (d.remaining > 0) args.push(d.read());
  return { name, transactionId: typeof tid === 'number' ? tid : 0, object, args };
}

/** Decodes a data message (type 18 / 15): e.g. ["@setDataFrame", "onMetaData", {...}]. */
export function decodeData(type: number, payload: Buffer): Amf0Value[] {
  const start = type === MessageType.DataAmf3 && payload[0] === 0 ? 1 : 0;
  const d = new Amf0Decoder(payload, start);
  const out: Amf0Value[] = [];
  while (d.remaining > 0) out.push(d.read());
  return out;
}

export const resultBody = (transactionId: number, object: Amf0Value, ...info: Amf0Value[]): Buffer =>
  encodeAmf0('_result', transactionId, object, ...info);

export const errorBody = (transactionId: number, object: Amf0Value, ...info: Amf0Value[]): Buffer =>
  encodeAmf0('_error', transactionId, object, ...info);

/** onStatus(0, null, {level, code, description, ...}) as NetStream status events are sent. */
export function onStatusBody(level: 'status' | 'error' | 'warning', code: string, description: string, extra: Amf0Object = {}): Buffer {
  return encodeAmf0('onStatus', 0, null, { level, code, description, ...extra });
}

/** Reply to FCPublish / FCUnpublish that Flash Media Server sends and some encoders wait for. */
export const fcStatusBody = (name: 'onFCPublish' | 'onFCUnpublish', code: string, description: string): Buffer =>
  encodeAmf0(name, 0, null, { code, description });
