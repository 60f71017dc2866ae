import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNotifier, type IncidentNotice } from '../dlq-lambda/notifier.ts';
import { createAws, createUndiciTransport, isAwsError } from '../lib/aws/index.ts';
import { createLogger } from '../lib/log.ts';
import { readBody, startServer } from './support/http-server.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:jobsys-alerts';

const NOTICE: IncidentNotice = {
  incidentId: '6c0a3b1e-95d2-8a4e-9c1b-2f3e4d5c6b7a', reasonClass: 'retries_exhausted', reason: 'retries exhausted',
  jobId: '63179c47-6579-801a-9998-e6a331ddfda0', jobType: 'transform', errorCode: 'JOBSYS_JOB_FAILED', attempt: 3, receiveCount: 1,
  traceId: '015ffbd9fd7345ca8e21adf71e8e5031', messageId: '9ed8cc13-dc2f-4723-9d3a-aded7cede482', createdAt: '2026-11-28T20:07:28.042Z',
};

/** Log lines as parsed objects, written where the test can read them. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ component: 'dlq-lambda', level: 'info', destination: { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } } });
  return { logger, lines };
}

/** lib/aws's SNS client against a fake SNS that keeps each Publish form and answers as `status` says. */
async function fakeSns(t: { after(fn: () => Promise<void>): void }, status = 200) {
  const forms: URLSearchParams[] = [];
  const server = await startServer(async (req, res) => {
    forms.push(new URLSearchParams(await readBody(req)));
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(status === 200
      ? '<PublishResponse><PublishResult><MessageId>sns-message-1</MessageId></PublishResult></PublishResponse>'
      : '<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>not authorized</Message></Error><RequestId>r</RequestId></ErrorResponse>');
  });
  const transport = createUndiciTransport();
  t.after(async () => { await transport.close(); await server.close(); });
  const aws = createAws({
    env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_SNS: server.url.href }, transport,
    credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }), retry: { maxAttempts: 1 },
  });
  return { sns: aws.sns, forms };
}

test('with a topic, each notice is published to it: a subject naming the kind and the job type, the notice as JSON', async (t) => {
  const { sns, forms } = await fakeSns(t);
  const { logger, lines } = capturedLogger();

  await createNotifier(TOPIC, sns, logger).notify(NOTICE);

  assert.equal(forms.length, 1);
  assert.equal(forms[0]?.get('TopicArn'), TOPIC);
  assert.equal(forms[0]?.get('Subject'), 'jobsys incident: retries_exhausted (transform)');
  assert.deepEqual(JSON.parse(forms[0]?.get('Message') ?? ''), NOTICE);
  assert.deepEqual(lines.map((line) => [line.msg, line.incidentId, line.snsMessageId]), [['incident notification published', NOTICE.incidentId, 'sns-message-1']]);
});

test('a subject stays within SNS\'s 100 printable ASCII characters whatever the job type', async (t) => {
  const { sns, forms } = await fakeSns(t);
  const { logger } = capturedLogger();
  const notifier = createNotifier(TOPIC, sns, logger);

  await notifier.notify({ ...NOTICE, jobType: 'ünïcode\ntype' });
  await notifier.notify({ ...NOTICE, jobType: 'x'.repeat(200) });
  await notifier.notify({ ...NOTICE, reasonClass: 'unreadable', jobType: undefined });

  const subjects = forms.map((form) => form.get('Subject') ?? '');
  assert.equal(subjects[0], 'jobsys incident: retries_exhausted (?n?code?type)');
  assert.equal(subjects[1]?.length, 100);
  assert.equal(subjects[2], 'jobsys incident: unreadable');
  for (const subject of subjects) assert.match(subject, /^[\x20-\x7e]{1,100}$/);
});

test('a publish SNS refuses rejects the notification, so that the record is retried', async (t) => {
  const { sns } = await fakeSns(t, 403);
  const { logger, lines } = capturedLogger();
  await assert.rejects(createNotifier(TOPIC, sns, logger).notify(NOTICE), (err: unknown) => isAwsError(err, 'AuthorizationError'));
  assert.deepEqual(lines, []);
});

test('without a topic, each notice is a warning in the log, its subject beside it, and nothing is sent', async (t) => {
  const { sns, forms } = await fakeSns(t);
  const { logger, lines } = capturedLogger();

  await createNotifier(undefined, sns, logger).notify(NOTICE);

  assert.deepEqual(forms, []);
  assert.equal(lines.length, 1);
  const { level, time: _time, component: _component, msg, subject, ...notice } = lines[0] ?? {};
  assert.deepEqual({ level, msg, subject, notice }, {
    level: 'warn', msg: 'incident notification (ALERT_TOPIC_ARN is not set: logged, not published)',
    subject: 'jobsys incident: retries_exhausted (transform)', notice: NOTICE,
  });
});
