/** Writes retried across a database outage: transient errors wait and retry, real errors fail at once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTransientDbError, isUniqueViolation, retryTransient } from '../../../src/store/db-retry.js';

test('transient: connection refused/reset/terminated, server shutting down or not accepting connections', () => {
  for (const e of [
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    Object.assign(new Error('database "x" is not currently accepting connections'), { code: '55000' }),
    Object.assign(new Error('connection failure'), { code: '08006' }),
    new Error('Connection terminated unexpectedly'),
  ]) assert.equal(isTransientDbError(e), true, e.message);
  for (const e of [
    Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
    Object.assign(new Error('syntax error'), { code: '42601' }),
    new Error('stream gone'),
    undefined,
  ]) assert.equal(isTransientDbError(e), false, String(e));
});

test('retryTransient retries transient errors until the write goes through, fails real errors at once', async () => {
  let calls = 0;
  const v = await retryTransient(async () => {
    calls++;
    if (calls < 4) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    return 'written';
  }, { what: 'test', baseDelayMs: 5, maxDelayMs: 20 });
  assert.equal(v, 'written');
  assert.equal(calls, 4);

  let real = 0;
  await assert.rejects(retryTransient(async () => { real++; throw Object.assign(new Error('duplicate key'), { code: '23505' }); }, { what: 'test', baseDelayMs: 5 }), /duplicate key/);
  assert.equal(real, 1);

  let gave = 0;
  await assert.rejects(retryTransient(async () => { gave++; throw Object.assign(new Error('reset'), { code: 'ECONNRESET' }); }, { what: 'test', baseDelayMs: 5, maxDelayMs: 5, giveUpMs: 50 }), /reset/);
  assert.ok(gave >= 2, `${gave} attempts before giving up`);
});

test('a unique violation after a transient failure means the first attempt had landed; without one it is an error', async () => {
  let calls = 0;
  await retryTransient(async () => {
    calls++;
    if (calls === 1) throw Object.assign(new Error('Connection terminated unexpectedly'), {});
    throw Object.assign(new Error('duplicate key value'), { code: '23505' });
  }, { what: 'test', baseDelayMs: 5, landedBefore: isUniqueViolation });
  assert.equal(calls, 2);
  await assert.rejects(retryTransient(async () => { throw Object.assign(new Error('duplicate key value'), { code: '23505' }); }, { what: 'test', landedBefore: isUniqueViolation }), /duplicate key/);
});
