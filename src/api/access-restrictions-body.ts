/** Playback id `accessRestrictions` as request bodies carry them -> the stored form (defaults filled in). */
import type { AccessRestrictions, RestrictionRule } from '../core/contracts.js';
import { restrictsNothing } from '../core/streams-service.js';
import type { AccessRestrictionsBody, RestrictionRuleBody } from './schemas.js';

/**
 * A rule as sent: `defaultPolicy` defaults to allow (as the SDK fills it in), a missing list is empty. Domain
 * entries are stored lower-case (host names are case-insensitive); user-agent entries as given.
 */
export function ruleOf(b: RestrictionRuleBody | undefined, lowerCase: boolean): RestrictionRule {
  const norm = (xs: string[] | undefined) => (xs ?? []).map((x) => (lowerCase ? x.toLowerCase() : x));
  return { defaultPolicy: b?.defaultPolicy ?? 'allow', allow: norm(b?.allow), deny: norm(b?.deny) };
}

/**
 * `accessRestrictions` of a create body (playback id, or playbackSettings of a stream). Restrictions that restrict
 * nothing (the allow-all defaults) are not stored: same effect, and the id keeps the two-field `{ id, accessPolicy }`
 * shape the live API was recorded answering.
 */
export function restrictionsOf(b: AccessRestrictionsBody | undefined): AccessRestrictions | undefined {
  if (b === undefined) return undefined;
  const r = { domains: ruleOf(b.domains, true), userAgents: ruleOf(b.userAgents, false) };
  return restrictsNothing(r) ? undefined : r;
}
