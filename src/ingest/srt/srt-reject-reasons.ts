/** Names for the codes an SRT handshake is refused with: libsrt's SRT_REJ_* and access control's SRT_REJX_*. */

/** libsrt's own SRT_REJECT_REASON values onair sees after admitting a caller (srt.h). */
export const SRT_REJ_BADSECRET = 10;
export const SRT_REJ_UNSECURE = 11;

/** SRT access control codes onair sends from the listen callback (srt/access_control.h). */
export const SrtRejectCode = {
  BAD_REQUEST: 1400,
  OVERLOAD: 1402,
  FORBIDDEN: 1403,
  NOT_FOUND: 1404,
  BAD_MODE: 1405,
  CONFLICT: 1409,
  INTERNAL: 1500,
} as const;

export type SrtRejectReason =
  | 'bad-secret'
  | 'unsecure'
  | 'bad-request'
  | 'overload'
  | 'forbidden'
  | 'not-found'
  | 'bad-mode'
  | 'conflict'
  | 'internal'
  | 'other';

const NAMES = new Map<number, SrtRejectReason>([
  [SRT_REJ_BADSECRET, 'bad-secret'],
  [SRT_REJ_UNSECURE, 'unsecure'],
  [SrtRejectCode.BAD_REQUEST, 'bad-request'],
  [SrtRejectCode.OVERLOAD, 'overload'],
  [SrtRejectCode.FORBIDDEN, 'forbidden'],
  [SrtRejectCode.NOT_FOUND, 'not-found'],
  [SrtRejectCode.BAD_MODE, 'bad-mode'],
  [SrtRejectCode.CONFLICT, 'conflict'],
  [SrtRejectCode.INTERNAL, 'internal'],
]);

export function rejectReasonName(code: number): SrtRejectReason {
  return NAMES.get(code) ?? 'other';
}
