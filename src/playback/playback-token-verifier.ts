/** Verifies private playback JWTs (RS256, kid in header or payload, aud = playback id, exp required), with a short cache. */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeJwt, jwtVerify, type CryptoKey, type JWK } from 'jose';

export type VerificationKey = CryptoKey | KeyObject | JWK;

export type PublicKeyLookup = (kid: string) => Promise<VerificationKey | undefined> | VerificationKey | undefined;

export interface PlaybackTokenVerifier {
  (token: string, playbackId: string): Promise<boolean>;
  /** Forget cached results (signing keys changed: a deleted key must stop working at once). */
  clear(): void;
}

export interface TokenVerifierOptions {
  /** how long a verified token is trusted without re-checking the signature (default 10 s) */
  cacheTtlMs?: number;
  /** bound on cached tokens (default 10 000) */
  maxCached?: number;
  /** clock skew tolerated on exp/nbf, seconds (default 5) */
  clockToleranceS?: number;
  now?: () => number;
}

/** Audience forms accepted for a playback id: FastPix documents `aud` as the id, examples use `media:<id>`. */
function audiences(playbackId: string): string[] {
  return [playbackId, `media:${playbackId}`, `live:${playbackId}`];
}

export function createPlaybackTokenVerifier(getPublicKey: PublicKeyLookup, opts: TokenVerifierOptions = {}): PlaybackTokenVerifier {
  const ttl = opts.cacheTtlMs ?? 10_000;
  const max = opts.maxCached ?? 10_000;
  const now = opts.now ?? Date.now;
  // token -> (playback id -> ms until which the answer holds); only successes are cached
  const cache = new Map<string, { playbackId: string; until: number }>();

  const verify = async (token: string, playbackId: string): Promise<boolean> => {
    if (!token || token.length > 8192) return false;
    const t = now();
    const hit = cache.get(token);
    if (hit && hit.playbackId === playbackId && hit.until > t) return true;
    try {
      const { payload } = await jwtVerify(token, async (header) => {
        // kid "in the payload" per FastPix's docs; the JOSE header is accepted too.
        const claims = decodeJwt(token);
        const kid = header.kid ?? (typeof claims.kid === 'string' ? claims.kid : undefined);
        if (!kid) throw new Error('token has no kid');
        const key = await getPublicKey(kid);
        if (!key) throw new Error('unknown signing key');
        return key;
      }, {
        algorithms: ['RS256'],
        audience: audiences(playbackId),
        requiredClaims: ['exp'],
        clockTolerance: opts.clockToleranceS ?? 5,
        currentDate: new Date(t),
      });
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(token, { playbackId, until: Math.min(t + ttl, (payload.exp ?? 0) * 1000) });
      return true;
    } catch {
      return false;
    }
  };
  return Object.assign(verify, { clear: () => cache.clear() });
}

/** A signing key's public half as stored: a PEM, or the base64 of a PEM. */
export function importPublicKey(pemOrBase64: string): KeyObject {
  const text = pemOrBase64.includes('-----BEGIN') ? pemOrBase64 : Buffer.from(pemOrBase64, 'base64').toString('utf8');
  return createPublicKey(text);
}
