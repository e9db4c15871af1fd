/**
 * Playback id access restrictions, compiled once per route refresh and checked on every playback request.
 *
 * Rules (FastPix `accessRestrictions`: a `defaultPolicy` plus `allow` / `deny` lists; deny wins over allow):
 * - Domains are checked against the host of the `Origin` header, or of `Referer` when there is no usable Origin
 *   (absent or `null`). Ports, scheme and user info are ignored; hosts compare case-insensitively. An entry is an
 *   exact host (`example.com`) or a wildcard (`*.example.com`: any subdomain, at any depth, NOT the apex itself).
 *   A request with neither header (or with no parseable host in them) cannot be placed: it is allowed only when the
 *   domain `defaultPolicy` is `allow` (so `deny` + an allow list shuts out players that send no Origin/Referer).
 * - User agents: an entry matches when it is a case-insensitive substring of the `User-Agent` header. A missing
 *   header is the empty string (it matches no entry, so the default policy decides).
 * - A half that is `allow` with empty lists is not checked; an id with both halves open has no check at all.
 *
 * Hot path: check() reads the three headers and walks character codes; it builds no strings and no objects.
 */
import type { AccessRestrictions, RestrictionRule } from '../core/contracts.js';

export type AccessVerdict = 'ok' | 'domain' | 'user-agent';

export interface AccessCheck {
  check(origin: string | undefined, referer: string | undefined, userAgent: string | undefined): AccessVerdict;
}

interface DomainList {
  /** lower-case exact hosts */
  exact: string[];
  /** lower-case suffixes with their leading dot (`*.example.com` -> `.example.com`) */
  suffix: string[];
}

interface DomainRule { defaultAllow: boolean; allow: DomainList; deny: DomainList }
interface AgentRule { defaultAllow: boolean; allow: RegExp | undefined; deny: RegExp | undefined }

const isOpen = (r: RestrictionRule): boolean => r.defaultPolicy === 'allow' && r.allow.length === 0 && r.deny.length === 0;

function domainList(entries: string[]): DomainList {
  const out: DomainList = { exact: [], suffix: [] };
  for (const raw of entries) {
    const e = raw.trim().toLowerCase();
    if (e.startsWith('*.') && e.length > 2) out.suffix.push(e.slice(1));
    else if (e.length > 0) out.exact.push(e);
  }
  return out;
}

/** One case-insensitive alternation for a list of substrings, or undefined for an empty list. */
function agentRegExp(entries: string[]): RegExp | undefined {
  const parts = entries.filter((e) => e.length > 0).map((e) => e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return parts.length ? new RegExp(parts.join('|'), 'i') : undefined;
}

/** Compile a playback id's restrictions; undefined when they restrict nothing (the listener then skips the check). */
export function compileAccessCheck(r: AccessRestrictions | undefined): AccessCheck | undefined {
  if (!r || (isOpen(r.domains) && isOpen(r.userAgents))) return undefined;
  const domains: DomainRule | undefined = isOpen(r.domains) ? undefined
    : { defaultAllow: r.domains.defaultPolicy === 'allow', allow: domainList(r.domains.allow), deny: domainList(r.domains.deny) };
  const agents: AgentRule | undefined = isOpen(r.userAgents) ? undefined
    : { defaultAllow: r.userAgents.defaultPolicy === 'allow', allow: agentRegExp(r.userAgents.allow), deny: agentRegExp(r.userAgents.deny) };
  return {
    check(origin, referer, userAgent) {
      if (domains && !domainPasses(domains, origin, referer)) return 'domain';
      if (agents && !agentPasses(agents, userAgent ?? '')) return 'user-agent';
      return 'ok';
    },
  };
}

function agentPasses(r: AgentRule, ua: string): boolean {
  if (r.deny?.test(ua)) return false;
  if (r.allow?.test(ua)) return true;
  return r.defaultAllow;
}

// Host bounds of the last parse (module state instead of a returned object: no allocation per request).
let hostStart = 0;
let hostEnd = 0;

/** Find the host of an absolute URL or origin (`scheme://[user@]host[:port][/...]`); false when there is none. */
function findHost(h: string | undefined): boolean {
  if (h === undefined || h.length === 0) return false;
  const sep = h.indexOf('://');
  if (sep <= 0) return false; // also `null` (opaque origins)
  let start = sep + 3;
  let end = start;
  const n = h.length;
  while (end < n) {
    const c = h.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    end++;
  }
  for (let i = end - 1; i >= start; i--) {
    if (h.charCodeAt(i) === 64 /* @ */) { start = i + 1; break; }
  }
  if (h.charCodeAt(start) === 91 /* [ */) {
    // IPv6 literal: keep the brackets off, stop at `]`
    let close = start + 1;
    while (close < end && h.charCodeAt(close) !== 93) close++;
    hostStart = start + 1;
    hostEnd = close;
    return hostEnd > hostStart;
  }
  for (let i = end - 1; i >= start; i--) {
    if (h.charCodeAt(i) === 58 /* : */) { end = i; break; }
  }
  if (end > start && h.charCodeAt(end - 1) === 46 /* trailing dot of an FQDN */) end--;
  hostStart = start;
  hostEnd = end;
  return end > start;
}

/** h[at .. at+lower.length) equals `lower` ignoring ASCII case (`lower` is already lower-case). */
function equalsLower(h: string, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = h.charCodeAt(at + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function listMatches(h: string, l: DomainList): boolean {
  const len = hostEnd - hostStart;
  for (const e of l.exact) if (e.length === len && equalsLower(h, hostStart, e)) return true;
  for (const s of l.suffix) if (len > s.length && equalsLower(h, hostEnd - s.length, s)) return true;
  return false;
}

function domainPasses(r: DomainRule, origin: string | undefined, referer: string | undefined): boolean {
  let h: string | undefined;
  if (findHost(origin)) h = origin;
  else if (findHost(referer)) h = referer;
  // No Origin and no Referer (or none with a host): allowed only when the default policy is allow.
  if (h === undefined) return r.defaultAllow;
  if (listMatches(h, r.deny)) return false;
  if (listMatches(h, r.allow)) return true;
  return r.defaultAllow;
}
