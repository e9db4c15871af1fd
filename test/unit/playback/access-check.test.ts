/** compileAccessCheck: the domain and user-agent rules of src/playback/access-check.ts, without a server. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileAccessCheck } from '../../../src/playback/access-check.js';

const open = { defaultPolicy: 'allow' as const, allow: [], deny: [] };

test('open restrictions compile to no check', () => {
  assert.equal(compileAccessCheck(undefined), undefined);
  assert.equal(compileAccessCheck({ domains: open, userAgents: open }), undefined);
});

test('domain hosts: exact, wildcard (not the apex), ports, user info, IPv6, trailing dot, case', () => {
  const c = compileAccessCheck({ domains: { defaultPolicy: 'deny', allow: ['Example.com', '*.example.org', '::1', '10.0.0.7'], deny: ['x.example.org'] }, userAgents: open })!;
  const o = (origin: string) => c.check(origin, undefined, undefined);
  assert.equal(o('https://example.com'), 'ok');
  assert.equal(o('https://EXAMPLE.COM:443'), 'ok');
  assert.equal(o('https://example.com.'), 'ok');
  assert.equal(o('https://a.example.org'), 'ok');
  assert.equal(o('https://example.org'), 'domain');
  assert.equal(o('https://x.example.org'), 'domain', 'deny beats allow');
  assert.equal(o('https://y.x.example.org'), 'ok', 'deny entries are exact unless wildcarded');
  assert.equal(o('https://fooexample.org'), 'domain');
  assert.equal(o('http://[::1]:8080'), 'ok');
  assert.equal(o('http://10.0.0.7:8080'), 'ok');
  assert.equal(o('http://10.0.0.70'), 'domain');
  assert.equal(o('null'), 'domain');
  assert.equal(o('example.com'), 'domain', 'no scheme: no host');
  assert.equal(c.check(undefined, 'https://u:p@example.com/a?b=https://evil.com', undefined), 'ok');
  assert.equal(c.check(undefined, 'https://evil.com/?r=https://example.com', undefined), 'domain');
  assert.equal(c.check(undefined, undefined, undefined), 'domain');
});

test('no Origin/Referer passes only under an allow default', () => {
  const c = compileAccessCheck({ domains: { defaultPolicy: 'allow', allow: [], deny: ['evil.com'] }, userAgents: open })!;
  assert.equal(c.check(undefined, undefined, undefined), 'ok');
  assert.equal(c.check('https://evil.com', undefined, undefined), 'domain');
});

test('user agents: case-insensitive substrings, regex characters taken literally', () => {
  const c = compileAccessCheck({ domains: open, userAgents: { defaultPolicy: 'deny', allow: ['hls.js', 'Safari (iOS)'], deny: ['headless'] } })!;
  assert.equal(c.check(undefined, undefined, 'Mozilla HLS.JS'), 'ok');
  assert.equal(c.check(undefined, undefined, 'hlsXjs'), 'user-agent', '. is not a wildcard');
  assert.equal(c.check(undefined, undefined, 'x safari (ios) y'), 'ok');
  assert.equal(c.check(undefined, undefined, 'HeadlessChrome hls.js'), 'user-agent', 'deny beats allow');
  assert.equal(c.check(undefined, undefined, undefined), 'user-agent');
});
