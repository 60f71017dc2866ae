import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Aws } from '../../lib/aws/index.ts';
import { canonicalJson, sha256Hex } from '../../lib/canonical-json.ts';
import type { JobContext, JobType } from '../../lib/job-types/job-type.ts';
import { encodeJobMessage } from '../../lib/jobs/message.ts';
import { newJobId, type Job } from '../../lib/jobs/model.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import type { Resources } from './backend.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { newTraceId } from '../../lib/trace.ts';
import type { WorkerSettings } from '../../worker/config.ts';
import { createConsumer, type Consumer, type ConsumerDeps } from '../../worker/consumer.ts';
import type { WorkerEventMap, WorkerEvents } from '../../worker/events.ts';


/** Timings that keep a test file within seconds. */
export function fastSettings(overrides: Partial<WorkerSettings> = {}): WorkerSettings {
  return {
    workerId: `test-${randomBytes(3).toString('hex')}`,
    concurrency: 4,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 3,
    leaseMs: 3_000,
    heartbeatMaxMs: 5_000,
    retryBaseSeconds: 1,
    retryMaxSeconds: 4,
    maxAttempts: 3,
    sweepIntervalMs: 200,
    stalePendingMs: 1_000,
    drainTimeoutMs: 2_000,
    jobTimeoutSeconds: 900,
    jobTimeouts: {},
    ...overrides,
  };
}

/** A job as the api writes it: PENDING, hashed. */
export async function createJob(store: JobStore, payload: unknown, overrides: Partial<Job> = {}): Promise<Job> {
  const at = new Date().toISOString();
  const type = overrides.type ?? 'transform';
  const job: Job = {
    jobId: newJobId(),
    type,
    status: 'PENDING',
    payload,
    payloadHash: sha256Hex(canonicalJson(payload)),
    requestHash: sha256Hex(canonicalJson({ type, payload })),
    traceId: newTraceId(),
    createdAt: at,
    updatedAt: at,
    attempts: 0,
    owner: 'client-a',
    runs: 0,
    retries: 0,
    attemptsBeforeRetry: 0,
    history: [],
    ...overrides,
  };
  const outcome = await store.create(job);
  if (!outcome.created) throw new Error(`job ${job.jobId} exists already`);
  return job;
}

export function messageFor(job: Job): string {
  return encodeJobMessage(job);
}

export async function enqueue(aws: Aws, queueUrl: string, job: Job): Promise<void> {
  await aws.sqs.sendMessage({ QueueUrl: queueUrl, MessageBody: messageFor(job) });
}

/** A job type for tests: counts its runs and does what `body` says. */
export function testJobType(name: string, body: (payload: unknown, context: JobContext) => Promise<unknown>): JobType & { runs: number } {
  const type = {
    name,
    payloadSchema: { type: 'object', properties: {}, additionalProperties: false } as const,
    example: {},
    runs: 0,
    run(payload: unknown, context: JobContext) {
      type.runs++;
      return body(payload, context);
    },
  };
  return type;
}

export interface CapturedLogger {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  /** The raw text, to check that something never reached a log. */
  text(): string;
}

/** A worker logger whose lines the test can read back. */
export function captureLogger(level = 'debug'): CapturedLogger {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ component: 'worker', level, destination });
  return {
    logger,
    get lines() {
      return raw.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}

export const silentLogger = (): Logger => createLogger({ component: 'worker', level: 'silent' });

type EventName = keyof WorkerEventMap;

/** The next `name` event whose payload `match`es; rejects after `timeoutMs` (a timer that holds no test open). */
export function nextEvent<K extends Exclude<EventName, 'error' | 'stopped'>>(
  events: WorkerEvents, name: K, match: (payload: WorkerEventMap[K][0]) => boolean = () => true, timeoutMs = 15_000,
): Promise<WorkerEventMap[K][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      events.off(name, listener as never);
      reject(new Error(`no ${name} event within ${timeoutMs} ms`));
    }, timeoutMs).unref();
    const listener = (payload: WorkerEventMap[K][0]) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      events.off(name, listener as never);
      resolve(payload);
    };
    events.on(name, listener as never);
  });
}

/** The first `count` `name` events that `match`; rejects after `timeoutMs`. */
export function events<K extends Exclude<EventName, 'error' | 'stopped'>>(
  emitter: WorkerEvents, name: K, count: number, match: (payload: WorkerEventMap[K][0]) => boolean = () => true, timeoutMs = 15_000,
): Promise<Array<WorkerEventMap[K][0]>> {
  const seen: Array<WorkerEventMap[K][0]> = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, listener as never);
      reject(new Error(`${seen.length} of ${count} ${name} events within ${timeoutMs} ms`));
    }, timeoutMs).unref();
    const listener = (payload: WorkerEventMap[K][0]) => {
      if (!match(payload)) return;
      seen.push(payload);
      if (seen.length < count) return;
      clearTimeout(timer);
      emitter.off(name, listener as never);
      resolve(seen);
    };
    emitter.on(name, listener as never);
  });
}

/** Every `name` event from now on, for counting. */
export function record<K extends Exclude<EventName, 'error' | 'stopped'>>(events: WorkerEvents, name: K): Array<WorkerEventMap[K][0] & { at: number }> {
  const seen: Array<WorkerEventMap[K][0] & { at: number }> = [];
  events.on(name, ((payload: WorkerEventMap[K][0]) => seen.push({ ...payload, at: Date.now() })) as never);
  return seen;
}

/**
 * `visible` is ApproximateNumberOfMessages, which local-aws-sqs counts with the in-flight ones
 * (AWS does not): only `{visible: 0, inFlight: 0}` and `inFlight` mean the same on both.
 */
export interface QueueCounts {
  visible: number;
  inFlight: number;
}

export async function queueCounts(aws: Aws, queueUrl: string): Promise<QueueCounts> {
  const { Attributes } = await aws.sqs.getQueueAttributes({
    QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  });
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

/** Polls until `check` holds (returning its last value), or fails with `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export function waitForJob(store: JobStore, jobId: string, check: (job: Job | undefined) => boolean, timeoutMs = 15_000): Promise<Job | undefined> {
  return waitUntil(`job ${jobId}`, () => store.get(jobId, { consistent: true }), check, timeoutMs);
}

export interface StartConsumerOptions {
  config?: Partial<WorkerSettings>;
  jobTypes?: ReadonlyMap<string, JobType>;
  logger?: Logger;
  random?: () => number;
  sqs?: ConsumerDeps['sqs'];
  deleteFlushMs?: number;
}

/** A running consumer on `resources`, stopped when the test ends. */
export function startConsumer(t: { after(fn: () => Promise<void>): void }, aws: Aws, resources: Resources, options: StartConsumerOptions = {}): Consumer {
  const consumer = createConsumer({
    sqs: options.sqs ?? aws.sqs,
    store: resources.store,
    queueUrl: resources.queueUrl,
    dlqUrl: resources.dlqUrl,
    logger: options.logger ?? silentLogger(),
    config: fastSettings(options.config),
    ...(options.jobTypes === undefined ? {} : { jobTypes: options.jobTypes }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.deleteFlushMs === undefined ? {} : { deleteFlushMs: options.deleteFlushMs }),
  });
  consumer.start();
  t.after(() => consumer.stop());
  return consumer;
}
