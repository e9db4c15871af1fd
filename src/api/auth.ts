/**
 * HTTP Basic auth with access tokens ("Username = Access Token ID, password = Secret Key"). `read` tokens may
 * only read (403); missing or wrong credentials get 401; once a client has failed too often (see LoginLimiter), its
 * further failing attempts get 429 + Retry-After, while valid credentials are still accepted.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authFailures } from '../metrics.js';
import type { Store } from '../store/store.js';
import { verifyToken } from '../store/token-repo.js';
import { ApiError, unauthorized } from './api-error.js';
import type { LoginLimiter } from './login-limiter.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** what a route needs: 'none' (public), 'read' or 'write' (default 'write') */
    permission?: 'none' | 'read' | 'write';
    /** 403 message: FastPix says `unauthorized` on live ops (sic) and `forbidden` on signing keys */
    forbiddenMessage?: string;
  }
}

export function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export function makeAuthHook(store: Store, limiter: LoginLimiter) {
  return async function authHook(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const cfg = req.routeOptions.config;
    const need = cfg?.permission ?? 'write';
    if (need === 'none' || req.routeOptions.url === undefined) return;
    const creds = parseBasic(req.headers.authorization);
    // Valid credentials are always accepted: the limiter only ever refuses further FAILING attempts, so nobody can
    // lock a valid token out by failing on purpose (from the same address, or behind the same proxy).
    const permission = creds ? await verifyToken(store.db, creds.id, creds.secret) : undefined;
    if (!permission) {
      authFailures.inc();
      const waitMs = limiter.blockedFor(req.ip, creds?.id);
      if (waitMs > 0) {
        const secs = Math.ceil(waitMs / 1000);
        throw new ApiError(429, 'too many requests', `Too many failed logins from this address; retry after ${secs} seconds.`, undefined, { 'retry-after': String(secs) });
      }
      limiter.recordFailure(req.ip, creds?.id);
      throw unauthorized(creds
        ? 'The access token id and secret do not match.'
        : 'No access token was provided. Use HTTP Basic auth: access token id as user name, secret as password.');
    }
    if (need === 'write' && permission !== 'write') {
      throw new ApiError(403, cfg?.forbiddenMessage ?? 'unauthorized', 'The access token does not have permission for this operation.');
    }
  };
}
