import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../lib/aws/index.ts';
import { createConsumptionHorizon } from '../worker/consumption-horizon.ts';

const sent = (at: number): Message => ({ MessageId: `m${at}`, ReceiptHandle: `r${at}`, MD5OfBody: '', Body: '{}', Attributes: { SentTimestamp: String(at) } });

test('the horizon is unknown until a receive is answered', () => {
  assert.equal(createConsumptionHorizon().at, undefined);
});

test('an empty receive advances the horizon to when it was asked: every message sent before had been delivered', () => {
  const horizon = createConsumptionHorizon();
  horizon.received(1_000, []);
  assert.equal(horizon.at, 1_000);
  horizon.received(5_000, []);
  assert.equal(horizon.at, 5_000);
});

test('messages received advance the horizon to the oldest SentTimestamp among them: one sent just now says little of the backlog beside it', () => {
  const horizon = createConsumptionHorizon();
  horizon.received(9_000, [sent(300), sent(8_900), sent(500)]);
  assert.equal(horizon.at, 300);
  horizon.received(9_500, [sent(600), sent(700)]);
  assert.equal(horizon.at, 600);
});

test('the horizon never moves back: an old message delivered again, or a late answer, leaves it', () => {
  const horizon = createConsumptionHorizon();
  horizon.received(2_000, []);
  horizon.received(9_000, [sent(100)]);
  horizon.received(1_500, []);
  assert.equal(horizon.at, 2_000);
});

test('a message without a SentTimestamp says nothing of the queue', () => {
  const horizon = createConsumptionHorizon();
  horizon.received(9_000, [{ ...sent(0), Attributes: {} }]);
  assert.equal(horizon.at, undefined);
});
