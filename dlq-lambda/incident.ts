import { uuidFromName } from '../lib/jobs/model.ts';

/**
 * The kinds of incident, a fixed few: what the metrics count incidents by and what a notification's
 * subject names, where an incident's `reason` is free text (a forwarded poison reason, a parse
 * error). `retries_exhausted`: a job's retries ran out, and it is FAILED_FINAL; `job_not_found`: a
 * readable message naming no job; `unreadable`: a body that is no job message; `poison`: a message
 * the worker forwarded with its reason.
 */
export const INCIDENT_REASON_CLASSES = ['retries_exhausted', 'job_not_found', 'unreadable', 'poison'] as const;
export type IncidentReasonClass = (typeof INCIDENT_REASON_CLASSES)[number];

/** What an incident keeps of a message it could not read: enough to recognise it, never all of it. */
export const BODY_EXCERPT_BYTES = 1024;

/**
 * The incident id a DLQ message stands for: a UUIDv8 from the SHA-256 of its SQS messageId. A
 * redelivered message keeps its messageId, so it names the same incident and the idempotent put
 * leaves one incident however often it arrives.
 */
export function incidentIdFor(messageId: string): string {
  return uuidFromName('incident', messageId);
}

/** The first BODY_EXCERPT_BYTES of UTF-8, cut before a character that would not fit whole. */
export function bodyExcerpt(body: string): string {
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length <= BODY_EXCERPT_BYTES) return body;
  // A streaming decode holds back a trailing partial character instead of emitting U+FFFD.
  return new TextDecoder('utf-8').decode(bytes.subarray(0, BODY_EXCERPT_BYTES), { stream: true });
}
