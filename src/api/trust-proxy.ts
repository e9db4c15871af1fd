/**
 * `--trust-proxy` / ONAIR_TRUST_PROXY -> Fastify's `trustProxy`, so `req.ip` (and with it the login limiter) sees the
 * client behind a reverse proxy instead of the proxy:
 * - unset, `false`: off (default): X-Forwarded-For is ignored;
 * - `true`: trust every hop (only when nothing but the proxy can reach onair: the left-most address is the client's
 *   word and can be forged);
 * - a hop count `N`: trust the N nearest hops;
 * - a comma-separated list of addresses, CIDRs or proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`): trust
 *   hops from those addresses only (the usual choice: the proxy's address).
 */
import { isIP } from 'node:net';

export type TrustProxy = boolean | number | string[];

const NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

export function parseTrustProxy(value: string | boolean | undefined): TrustProxy {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'false') return false;
  if (v.toLowerCase() === 'true') return true;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops < 1 || hops > 32) throw new Error(`invalid --trust-proxy: hop count ${v} is not in 1..32`);
    return hops;
  }
  const list = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const entry of list) {
    if (!isTrustEntry(entry)) {
      throw new Error(`invalid --trust-proxy entry "${entry}": expected true, false, a hop count, or addresses/CIDRs (e.g. 10.0.0.0/8,::1)`);
    }
  }
  return list;
}

function isTrustEntry(entry: string): boolean {
  if (NAMES.has(entry)) return true;
  const slash = entry.indexOf('/');
  const addr = slash >= 0 ? entry.slice(0, slash) : entry;
  const family = isIP(addr);
  if (family === 0) return false;
  if (slash < 0) return true;
  const bits = entry.slice(slash + 1);
  if (/^\d{1,3}$/.test(bits)) return Number(bits) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(bits) === 4; // 10.0.0.0/255.0.0.0
}
