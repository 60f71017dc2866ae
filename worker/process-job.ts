import { AbortedError, type Message, type Sqs } from '../lib/aws/index.ts';
import { JobFailedError, JobTimeoutError, PoisonMessageError } from '../lib/errors.ts';
import type { JobType } from '../lib/job-types/job-type.ts';
import { isLeaseLive, leaseRemainingMs } from '../lib/jobs/lease.ts';
import { encodeJobMessage, isStaleMessage, parseJobMessage, type JobMessage } from '../lib/jobs/message.ts';
import { TERMINAL_STATUSES, type Job, type JobError } from '../lib/jobs/model.ts';
import { isWritten, type Held, type JobStore } from '../lib/jobs/store.ts';
import type { Logger } from '../lib/log.ts';
import { retryDelaySeconds } from './backoff.ts';
import { MAX_VISIBILITY_SECONDS, type WorkerSettings } from './config.ts';
import type { DeleteBatcher } from './delete-batcher.ts';
import { logAndEmit, reportError, type JobRef, type WorkerEvents } from './events.ts';
import { endingWrites } from './ending-writes.ts';
import { startHeartbeat } from './heartbeat.ts';
import { sendToDeadLetterQueue } from './dead-letter-queue.ts';

export interface ProcessContext {
  sqs: Pick<Sqs, 'sendMessage' | 'changeMessageVisibility'>;
  store: JobStore;
  queueUrl: string;
  dlqUrl: string;
  logger: Logger;
  config: WorkerSettings;
  jobTypes: ReadonlyMap<string, JobType>;
  deletes: DeleteBatcher;
  events: WorkerEvents;
  random: () => number;
  now: () => number;
}

/** Seconds added to another worker's remaining lease, so the duplicate comes back after it ended. */
const LEASE_BUSY_MARGIN_SECONDS = 1;

/**
 * How long a message of a job type this worker does not know stays hidden. Only a mixed fleet
 * sends one (a rolling deploy, where the api and some workers are newer than this one): long
 * enough that a worker that knows the type, if there is one, takes the job first; short enough not
 * to hold the job up. If no worker ever knows it, the queue's redrive moves the message to the DLQ
 * after maxReceiveCount of these, and the dlq-lambda ends the job FAILED_FINAL.
 */
export const UNKNOWN_TYPE_RETRY_SECONDS = 60;

/**
 * One received message, from parse to delete (or to being left for SQS to redeliver). `shutdown`
 * fires when the worker stops waiting for this job: it is then given back, not failed.
 * AWS errors propagate: the message is left alone and comes back after its visibility timeout.
 */
export async function processMessage(ctx: ProcessContext, message: Message, shutdown: AbortSignal): Promise<void> {
  const receiveCount = Number(message.Attributes?.['ApproximateReceiveCount'] ?? 1);
  const ref = { messageId: message.MessageId, receiveCount };
  const sentAt = Number(message.Attributes?.['SentTimestamp']);
  ctx.events.emit('message_received', { ...ref, sentAt: Number.isFinite(sentAt) ? sentAt : undefined });

  let parsed: JobMessage;
  try {
    parsed = parseJobMessage(message.Body);
  } catch (err) {
    if (!(err instanceof PoisonMessageError)) throw err;
    return poison(ctx, ctx.logger, message, receiveCount, err.message);
  }
  const log = ctx.logger.child({ traceId: parsed.traceId, jobId: parsed.jobId });
  log.debug({ messageId: message.MessageId, receiveCount }, 'message received');

  let job: Job | undefined;
  if (receiveCount === 1 && parsed.retries === 0 && parsed.owner !== undefined) {
    // Most messages are a new job's first delivery: its first lease, with the checks below in its
    // condition, saves the read. Any other case reads as before, from the item the failed write returns.
    const first = await ctx.store.acquireFirstLease({ jobId: parsed.jobId, owner: parsed.owner, payloadHash: parsed.payloadHash },
      ctx.config.workerId, ctx.config.leaseMs, [...ctx.jobTypes.keys()]);
    if (first.acquired) {
      const type = ctx.jobTypes.get(first.job.type)!;
      return run(ctx, log, message, { ...ref, jobId: parsed.jobId, traceId: parsed.traceId, type: first.job.type }, first.job, type, shutdown);
    }
    job = first.current;
  } else {
    job = await ctx.store.get(parsed.jobId, { consistent: true });
  }
  if (job === undefined) return poison(ctx, log, message, receiveCount, 'no job has this jobId', parsed.jobId);
  if (job.payloadHash !== parsed.payloadHash) return poison(ctx, log, message, receiveCount, 'payloadHash does not match the job\'s', parsed.jobId);
  const jobRef: JobRef = { ...ref, jobId: parsed.jobId, traceId: parsed.traceId, type: job.type };
  if (TERMINAL_STATUSES.has(job.status)) return duplicate(ctx, log, message, jobRef, job);
  if (isStaleMessage(parsed, job)) return replaceStale(ctx, log, message, jobRef, parsed, job);
  const type = ctx.jobTypes.get(job.type);
  if (type === undefined) return unknownType(ctx, log, message, jobRef, job.type);
  const lease = await ctx.store.acquireLease(job, ctx.config.workerId, ctx.config.leaseMs, ctx.config.maxAttempts);
  if (!lease.acquired) {
    const current = lease.current;
    if (current === undefined) return poison(ctx, log, message, receiveCount, 'no job has this jobId', parsed.jobId);
    if (TERMINAL_STATUSES.has(current.status)) return duplicate(ctx, log, message, jobRef, current);
    if (isStaleMessage(parsed, current)) return replaceStale(ctx, log, message, jobRef, parsed, current);
    const live = isLeaseLive(current, ctx.now());
    // Asked to cancel while it ran on a worker that stopped holding it: nobody else will end it.
    if (!live && current.cancelRequested) return cancelWaiting(ctx, log, message, jobRef, current);
    // Its last attempt ended without a word (its worker died, or could not write): nothing is left to run.
    if (!live && attemptsLeft(ctx, current) === 0) return deadLetter(ctx, log, message, jobRef, current.attempts);
    return leaseBusy(ctx, log, message, jobRef, current);
  }
  return run(ctx, log, message, jobRef, lease.job, type, shutdown);
}

type Settled = { kind: 'returned'; result: unknown } | { kind: 'threw'; error: unknown } | { kind: 'aborted' };

/** The job's own promise, or 'aborted' as soon as `signal` fires, even if the job ignores it. */
function settle(work: () => Promise<unknown>, signal: AbortSignal): Promise<Settled> {
  const done = (async () => work())().then(
    (result): Settled => ({ kind: 'returned', result }),
    (error: unknown): Settled => ({ kind: 'threw', error }),
  );
  if (signal.aborted) return Promise.resolve({ kind: 'aborted' });
  const aborted = new Promise<Settled>((resolve) => signal.addEventListener('abort', () => resolve({ kind: 'aborted' }), { once: true }));
  return Promise.race([done, aborted]);
}

async function run(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, job: Job, type: JobType, shutdown: AbortSignal): Promise<void> {
  const held: Held = { jobId: job.jobId, owner: job.owner, run: job.runs };
  const attempt = job.attempts;
  const work = new AbortController();
  let leaseLost = false;
  let cancelRequested = false;
  // The job type's limit on one attempt: work that ignores every other bound still ends.
  const limitSeconds = ctx.config.jobTimeouts[job.type] ?? ctx.config.jobTimeoutSeconds;
  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    work.abort(new JobTimeoutError(job.type, limitSeconds));
  }, limitSeconds * 1000);
  const onShutdown = () => work.abort(new AbortedError('the worker is shutting down'));
  if (shutdown.aborted) onShutdown();
  shutdown.addEventListener('abort', onShutdown, { once: true });
  const heartbeat = startHeartbeat({
    sqs: ctx.sqs,
    store: ctx.store,
    queueUrl: ctx.queueUrl,
    receiptHandle: message.ReceiptHandle,
    held,
    worker: ctx.config.workerId,
    visibilityTimeoutSeconds: ctx.config.visibilityTimeoutSeconds,
    leaseMs: ctx.config.leaseMs,
    maxIntervalMs: ctx.config.heartbeatMaxMs,
    onBeat: (leaseExtended) => ctx.events.emit('heartbeat', { ...ref, leaseExtended }),
    onLost: () => {
      leaseLost = true;
      work.abort(new AbortedError('the job\'s lease was lost'));
    },
    onCancelRequested: () => {
      cancelRequested = true;
      work.abort(new AbortedError('the job was cancelled'));
    },
    onError: (err, what) => reportError(ctx.events, log, err, what),
  });

  logAndEmit(ctx.events, log, 'job_started', { ...ref, attempt, createdAt: job.createdAt }, { level: 'info', msg: 'job started', fields: { attempt, type: job.type } });
  const started = performance.now();
  let outcome: Settled;
  try {
    outcome = await settle(() => type.run(job.payload, { attempt, signal: work.signal }), work.signal);
  } finally {
    clearTimeout(limit);
    shutdown.removeEventListener('abort', onShutdown);
  }
  ctx.events.emit('job_ran', { ...ref, attempt, runMs: performance.now() - started });

  // The heartbeat goes on until the write that ends the run has its answer, however long DynamoDB takes to give one.
  const ending: ProcessContext = { ...ctx, store: endingWrites(ctx.store, { signal: shutdown, random: ctx.random, answered: () => heartbeat.stop() }) };
  try {
    if (leaseLost) {
      logAndEmit(ctx.events, log, 'lease_lost', { ...ref, stage: 'heartbeat', deleted: false },
        { level: 'warn', msg: 'lease lost while running: stopped the job, wrote nothing', fields: { attempt, stage: 'heartbeat' } });
      return;
    }
    // Work that finished before it noticed the cancel has succeeded: the result stands.
    if (outcome.kind === 'returned') return await succeed(ending, log, message, ref, held, attempt, outcome.result);
    if (cancelRequested) return await cancelRunning(ending, log, message, ref, held, attempt);
    if (timedOut) return await fail(ending, log, message, ref, held, job, new JobTimeoutError(job.type, limitSeconds));
    if (outcome.kind === 'aborted' || work.signal.aborted) return await release(ending, log, message, ref, held, attempt);
    return await fail(ending, log, message, ref, held, job, outcome.error);
  } finally {
    await heartbeat.stop();
  }
}

async function succeed(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, held: Held, attempt: number, result: unknown): Promise<void> {
  const written = await ctx.store.succeed(held, ctx.config.workerId, result);
  if (isWritten(written)) {
    await ctx.deletes.delete(message.ReceiptHandle);
    // replyLost: the write had landed, its reply was lost, and the write sent again found it. Counted apart, and still a success.
    const replyLost = written === 'done-before';
    logAndEmit(ctx.events, log, 'job_succeeded', { ...ref, attempt, replyLost }, { level: 'info', msg: 'job succeeded', fields: { attempt, ...(replyLost ? { replyLost } : {}) } });
    return;
  }
  // The lease ran out under us; whoever holds the job now decides. If it has ended, this
  // message has nothing left to do.
  const current = await ctx.store.get(ref.jobId, { consistent: true });
  const ended = current !== undefined && TERMINAL_STATUSES.has(current.status);
  if (ended) await ctx.deletes.delete(message.ReceiptHandle);
  logAndEmit(ctx.events, log, 'lease_lost', { ...ref, stage: 'succeed', deleted: ended },
    { level: 'warn', msg: 'lease lost before the result was written: wrote nothing', fields: { attempt, status: current?.status, stage: 'succeed' } });
}

async function fail(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, held: Held, job: Job, thrown: unknown): Promise<void> {
  const attempt = job.attempts;
  const error: JobError = {
    message: thrown instanceof Error ? thrown.message : String(thrown),
    code: errorCode(thrown),
    attempt,
    at: new Date(ctx.now()).toISOString(),
  };
  const written = await ctx.store.failAttempt(held, ctx.config.workerId, error);
  if (written === 'cancel-requested') return cancelRunning(ctx, log, message, ref, held, attempt);
  if (written === 'lost') {
    logAndEmit(ctx.events, log, 'lease_lost', { ...ref, stage: 'fail', deleted: false },
      { level: 'warn', msg: 'lease lost before the failure was recorded: wrote nothing', fields: { attempt, stage: 'fail' } });
    return;
  }
  if (attemptsLeft(ctx, job) === 0) return deadLetter(ctx, log, message, ref, attempt, error);
  // Not deleted: SQS delivers it again after the backoff. The backoff starts again with each
  // retry's budget, as its attempts do.
  const delay = retryDelaySeconds(attempt - job.attemptsBeforeRetry, ctx.config.retryBaseSeconds, ctx.config.retryMaxSeconds, ctx.random);
  await ctx.sqs.changeMessageVisibility({ QueueUrl: ctx.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: delay });
  logAndEmit(ctx.events, log, 'job_failed', { ...ref, attempt, error, retryDelaySeconds: delay },
    { level: 'warn', msg: 'job attempt failed', fields: { attempt, code: error.code, error: error.message, retryDelaySeconds: delay } });
}

async function release(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, held: Held, attempt: number): Promise<void> {
  const written = await ctx.store.release(held, ctx.config.workerId);
  if (written === 'cancel-requested') return cancelRunning(ctx, log, message, ref, held, attempt);
  const released = isWritten(written);
  await ctx.sqs.changeMessageVisibility({ QueueUrl: ctx.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 });
  logAndEmit(ctx.events, log, 'job_released', ref, { level: 'warn', msg: 'shutting down: gave the job back unfinished', fields: { released } });
}

/** Attempts the job's budget still allows: maxAttempts since the client's last retry. */
function attemptsLeft(ctx: ProcessContext, job: Pick<Job, 'attempts' | 'attemptsBeforeRetry'>): number {
  return Math.max(0, job.attemptsBeforeRetry + ctx.config.maxAttempts - job.attempts);
}

/**
 * The job's runs are spent: its message goes to the DLQ now, as it was, and the dlq-lambda ends
 * the job FAILED_FINAL with an incident. The worker counts the runs, not SQS's receives, so an
 * outage that made messages come back without running them spends no attempt; the queue's own
 * redrive (maxReceiveCount, well above MAX_ATTEMPTS) is the backstop for a message that never
 * gets this far.
 */
async function deadLetter(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, attempts: number, error?: JobError): Promise<void> {
  await sendToDeadLetterQueue(ctx.sqs, ctx.dlqUrl, message);
  await ctx.deletes.delete(message.ReceiptHandle);
  logAndEmit(ctx.events, log, 'dead_lettered', { ...ref, attempts, error }, {
    level: 'warn', msg: 'no attempts left: moved to the dead-letter queue', fields: { attempts, ...(error ? { code: error.code, error: error.message } : {}) },
  });
}

/** The work stopped for a cancel: the job ends CANCELLED, and its message has nothing left to do. */
async function cancelRunning(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, held: Held, attempt: number): Promise<void> {
  if (!(await ctx.store.finishCancelled(held, ctx.config.workerId))) {
    logAndEmit(ctx.events, log, 'lease_lost', { ...ref, stage: 'cancel', deleted: false },
      { level: 'warn', msg: 'lease lost before the cancel was recorded: wrote nothing', fields: { attempt, stage: 'cancel' } });
    return;
  }
  await ctx.deletes.delete(message.ReceiptHandle);
  logAndEmit(ctx.events, log, 'job_cancelled', { ...ref, stage: 'running' }, { level: 'info', msg: 'job cancelled: its work was stopped', fields: { attempt } });
}

async function cancelWaiting(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, job: Job): Promise<void> {
  const cancelled = await ctx.store.cancel(job);
  if (cancelled.outcome === 'requested') return leaseBusy(ctx, log, message, ref, cancelled.job);
  if (cancelled.outcome === 'missing') return poison(ctx, log, message, ref.receiveCount, 'no job has this jobId', ref.jobId);
  // Another copy of its message (a re-send, a duplicate delivery) got there first: this one is a duplicate.
  if (cancelled.outcome !== 'cancelled') return duplicate(ctx, log, message, ref, cancelled.job);
  await ctx.deletes.delete(message.ReceiptHandle);
  logAndEmit(ctx.events, log, 'job_cancelled', { ...ref, stage: 'waiting' }, { level: 'info', msg: 'job cancelled before it could run again', fields: { status: cancelled.job.status } });
}

async function duplicate(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, job: Job): Promise<void> {
  await ctx.deletes.delete(message.ReceiptHandle);
  logAndEmit(ctx.events, log, 'duplicate', { ...ref, status: job.status }, { level: 'info', msg: 'duplicate delivery of an ended job: deleted', fields: { status: job.status } });
}

/**
 * A message sent before a client's retry of its job. Its SQS receive count belongs to the job's
 * earlier life: run on, it would dead-letter the new life before its budget of attempts is spent.
 * A fresh message takes its place (at worst a second one for the job, which its lease handles).
 */
async function replaceStale(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, stale: JobMessage, job: Job): Promise<void> {
  await ctx.sqs.sendMessage({ QueueUrl: ctx.queueUrl, MessageBody: encodeJobMessage(job) });
  await ctx.deletes.delete(message.ReceiptHandle);
  logAndEmit(ctx.events, log, 'stale_replaced', { ...ref, messageRetries: stale.retries, retries: job.retries }, {
    level: 'info', msg: 'message from before the job was retried: replaced by a fresh one', fields: { messageRetries: stale.retries, retries: job.retries, status: job.status },
  });
}

async function leaseBusy(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, current: Job): Promise<void> {
  const retryInSeconds = Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(leaseRemainingMs(current, ctx.now()) / 1000) + LEASE_BUSY_MARGIN_SECONDS);
  await ctx.sqs.changeMessageVisibility({ QueueUrl: ctx.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: retryInSeconds });
  logAndEmit(ctx.events, log, 'lease_busy', { ...ref, retryInSeconds }, {
    level: 'info', msg: 'another worker holds the job: message hidden until its lease runs out', fields: { status: current.status, leaseOwner: current.leaseOwner, retryInSeconds },
  });
}

/**
 * Not poison, and not this worker's to fail: the job is left as it is (no lease, no attempt spent)
 * and its message kept, for a worker that knows the type.
 */
async function unknownType(ctx: ProcessContext, log: Logger, message: Message, ref: JobRef, type: string): Promise<void> {
  const retryInSeconds = UNKNOWN_TYPE_RETRY_SECONDS;
  await ctx.sqs.changeMessageVisibility({ QueueUrl: ctx.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: retryInSeconds });
  logAndEmit(ctx.events, log, 'unknown_type', { ...ref, type, retryInSeconds }, {
    level: 'warn', msg: 'job type unknown to this worker: message hidden for a worker that knows it', fields: { type, retryInSeconds },
  });
}

async function poison(ctx: ProcessContext, log: Logger, message: Message, receiveCount: number, reason: string, jobId?: string): Promise<void> {
  await sendToDeadLetterQueue(ctx.sqs, ctx.dlqUrl, message, reason);
  await ctx.deletes.delete(message.ReceiptHandle);
  logAndEmit(ctx.events, log, 'poison', { messageId: message.MessageId, receiveCount, reason, ...(jobId === undefined ? {} : { jobId }) },
    { level: 'warn', msg: 'poison message: moved to the dead-letter queue', fields: { messageId: message.MessageId, reason } });
}

function errorCode(thrown: unknown): string {
  const code = (thrown as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : JobFailedError.code;
}
