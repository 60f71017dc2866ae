import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLeaseLive, leaseRemainingMs } from '../lib/jobs/lease.ts';
import { JOB_STATUSES } from '../lib/jobs/model.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');

test('a lease is live only while its job is RUNNING and it expires after now', () => {
  assert.equal(isLeaseLive({ status: 'RUNNING', leaseExpiresAt: NOW + 1 }, NOW), true);
  assert.equal(isLeaseLive({ status: 'RUNNING', leaseExpiresAt: NOW }, NOW), false, 'over at the instant it expires');
  assert.equal(isLeaseLive({ status: 'RUNNING', leaseExpiresAt: NOW - 1 }, NOW), false);
  assert.equal(isLeaseLive({ status: 'RUNNING', leaseExpiresAt: undefined }, NOW), false, 'no expiry, no lease');
  for (const status of JOB_STATUSES.filter((s) => s !== 'RUNNING')) {
    assert.equal(isLeaseLive({ status, leaseExpiresAt: NOW + 60_000 }, NOW), false, `${status} holds no lease`);
  }
});

test('what is left of a lease: the time to its expiry while live, else 0', () => {
  assert.equal(leaseRemainingMs({ status: 'RUNNING', leaseExpiresAt: NOW + 2_500 }, NOW), 2_500);
  assert.equal(leaseRemainingMs({ status: 'RUNNING', leaseExpiresAt: NOW - 2_500 }, NOW), 0);
  assert.equal(leaseRemainingMs({ status: 'RETRYING', leaseExpiresAt: NOW + 2_500 }, NOW), 0);
});
