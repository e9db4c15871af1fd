/**
 * Webhook signature (CONTRACT.md section 9): header `FastPix-Signature` = "base64 of HMAC-SHA256 over the
 * raw body bytes"; the key is the base64-decoded signing secret ("SDK-hooks decodes it and uses the raw bytes").
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'FastPix-Signature';

export function signBody(body: string | Buffer, secretBase64: string): string {
  return createHmac('sha256', Buffer.from(secretBase64, 'base64')).update(body).digest('base64');
}

/** Receiver-side check (used by tests and by anyone embedding onair's receiver logic). */
export function verifySignature(body: string | Buffer, secretBase64: string, signature: string): boolean {
  const expected = Buffer.from(signBody(body, secretBase64), 'base64');
  const given = Buffer.from(signature, 'base64');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
