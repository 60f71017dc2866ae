import type { Message } from '../lib/aws/index.ts';

/**
 * How far this worker has seen the queue consumed, so that the sweeper can tell a job whose
 * message was lost from one whose message is only waiting in a backlog. SQS cannot be asked
 * whether one message is in the queue, but each receive says something about all of them:
 * - a message received was sent at its SentTimestamp, and a queue is consumed roughly in the
 *   order it was filled, so messages sent before then have been received too, give or take the
 *   disorder of a standard queue (the sweeper's margin, STALE_PENDING_MS, covers that). Of a
 *   batch, the oldest counts: one message sent just now (a re-send, a new job served out of
 *   order) says little of the backlog received with it, and taken alone it would make every job
 *   still waiting in that backlog look lost;
 * - a receive that returned nothing found no visible message while it waited, so every message
 *   sent before it was asked had been delivered already (or was hidden: in flight, or backing off).
 * The horizon is the latest such instant, in epoch ms; it never moves back.
 */
export interface ConsumptionHorizon {
  /** Undefined until this worker's first receive is answered: nothing is known of the queue. */
  readonly at: number | undefined;
  /** A ReceiveMessage asked at `askedAt` (this worker's clock) answered with `messages`. */
  received(askedAt: number, messages: readonly Message[]): void;
}

export function createConsumptionHorizon(): ConsumptionHorizon {
  let at: number | undefined;
  const advance = (instant: number) => {
    if (at === undefined || instant > at) at = instant;
  };
  return {
    get at() {
      return at;
    },
    received(askedAt, messages) {
      if (messages.length === 0) {
        advance(askedAt);
        return;
      }
      const sent = messages.map((message) => Number(message.Attributes?.['SentTimestamp'])).filter(Number.isFinite);
      if (sent.length > 0) advance(Math.min(...sent));
    },
  };
}
