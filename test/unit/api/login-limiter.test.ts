/** LoginLimiter: keyed per (address, token id) and per address, fixed windows, bounded memory; trust-proxy parsing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginLimiter, clientKey } from '../../../src/api/login-limiter.js';
import { parseTrustProxy } from '../../../src/api/trust-proxy.js';

const limits = { pairLimit: 3, addressLimit: 10, windowMs: 1000 };

test('a token id is limited per address after pairLimit failures, until its window ends', () => {
  const l = new LoginLimiter(limits);
  for (let i = 0; i < 3; i++) {
    assert.equal(l.blockedFor('10.0.0.1', 'tok-a', 100), 0, `failure ${i + 1} is only counted`);
    l.recordFailure('10.0.0.1', 'tok-a', 100 + i);
  }
  assert.equal(l.blockedFor('10.0.0.1', 'tok-a', 100), 1000);
  assert.equal(l.blockedFor('10.0.0.1', 'tok-a', 600), 500, 'the wait counts down');
  assert.equal(l.blockedFor('10.0.0.1', 'tok-b', 600), 0, 'another token id from the same address is not limited');
  assert.equal(l.blockedFor('10.0.0.2', 'tok-a', 600), 0, 'the same token id from another address is not limited');
  assert.equal(l.blockedFor('10.0.0.1', 'tok-a', 1100), 0, 'the window is over');
  l.recordFailure('10.0.0.1', 'tok-a', 1100);
  assert.equal(l.blockedFor('10.0.0.1', 'tok-a', 1100), 0, 'a new window starts at one failure');
});

test('an address is limited over all token ids (and missing credentials) after addressLimit failures', () => {
  const l = new LoginLimiter(limits);
  for (let i = 0; i < 9; i++) l.recordFailure('10.0.0.1', `random-${i}`, 0);
  assert.equal(l.blockedFor('10.0.0.1', 'fresh', 0), 0);
  l.recordFailure('10.0.0.1', undefined, 0);
  assert.equal(l.blockedFor('10.0.0.1', 'fresh', 10), 990);
  assert.equal(l.blockedFor('10.0.0.1', undefined, 10), 990);
  assert.equal(l.blockedFor('10.0.0.9', 'fresh', 10), 0);
});

test('IPv6 clients are counted per /64, IPv4-mapped addresses as IPv4', () => {
  assert.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(clientKey('192.0.2.7'), '192.0.2.7');
  assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:0db8:0001:0002:ffff:1:2:3'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  const l = new LoginLimiter(limits);
  for (let i = 0; i < 3; i++) l.recordFailure('2001:db8:1:2::10', 'tok', 0);
  assert.ok(l.blockedFor('2001:db8:1:2::99', 'tok', 0) > 0, 'another host of the same /64');
  assert.equal(l.blockedFor('2001:db8:1:3::10', 'tok', 0), 0, 'another /64');
});

test('memory stays bounded: expired windows go first, then the oldest live ones', () => {
  const l = new LoginLimiter({ ...limits, maxEntries: 100 });
  for (let i = 0; i < 5000; i++) l.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `tok-${i}`, i);
  assert.ok(l.size <= 100, `size ${l.size}`);
  // a very long "token id" does not make a long key or escape the bound
  l.recordFailure('10.9.9.9', 'x'.repeat(100_000), 6000);
  assert.ok(l.size <= 100);
  // the newest client is still counted correctly after all the eviction
  const n = new LoginLimiter({ ...limits, maxEntries: 10 });
  for (let i = 0; i < 100; i++) n.recordFailure(`192.0.2.${i}`, 'tok', 0);
  n.recordFailure('198.51.100.1', 'tok', 1);
  n.recordFailure('198.51.100.1', 'tok', 2);
  n.recordFailure('198.51.100.1', 'tok', 3);
  assert.equal(n.blockedFor('198.51.100.1', 'tok', 3), 998, 'window opened at t=1');
  assert.ok(n.size <= 10);
});

test('once an address is over its limit, its failures make no new per-token keys', () => {
  const l = new LoginLimiter({ ...limits, maxEntries: 1000 });
  for (let i = 0; i < 500; i++) l.recordFailure('10.0.0.1', `guess-${i}`, 0);
  assert.equal(l.size, 1 + limits.addressLimit, 'one address key plus the token keys counted before the limit');
});

test('parseTrustProxy: off by default; true; hop counts; address and CIDR lists; clear errors', () => {
  assert.equal(parseTrustProxy(undefined), false);
  assert.equal(parseTrustProxy(''), false);
  assert.equal(parseTrustProxy('false'), false);
  assert.equal(parseTrustProxy('true'), true);
  assert.equal(parseTrustProxy(true), true);
  assert.equal(parseTrustProxy('2'), 2);
  assert.deepEqual(parseTrustProxy('127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback,192.168.0.0/255.255.0.0'),
    ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback', '192.168.0.0/255.255.0.0']);
  for (const bad of ['0', 'yes', '10.0.0.0/33', '::1/129', '10.0.0.300', 'proxy.example.com']) {
    assert.throws(() => parseTrustProxy(bad), /invalid --trust-proxy/, bad);
  }
});
