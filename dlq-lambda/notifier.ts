import type { Sns } from '../lib/aws/index.ts';
import type { Incident } from '../lib/jobs/model.ts';
import type { Logger } from '../lib/log.ts';
import type { IncidentReasonClass } from './incident.ts';

/**
 * What a notification of a new incident says: enough to know what happened and to find the rest in
 * the stack's table (`PK = INCIDENT#<incidentId>`), never the message body or the job's error
 * message, which stay in the incident item as they stay out of the logs (docs/dlq-lambda.md, "Logs").
 */
export interface IncidentNotice {
  incidentId: string;
  reasonClass: IncidentReasonClass;
  reason: string;
  jobId?: string | undefined;
  jobType?: string | undefined;
  /** The job's last error, by code and attempt. */
  errorCode?: string | undefined;
  attempt?: number | undefined;
  receiveCount?: number | undefined;
  traceId?: string | undefined;
  messageId: string;
  createdAt: string;
}

export function noticeOf(incident: Incident, reasonClass: IncidentReasonClass, jobType: string | undefined): IncidentNotice {
  return {
    incidentId: incident.incidentId,
    reasonClass,
    reason: incident.reason,
    jobId: incident.jobId,
    jobType,
    errorCode: incident.error?.code,
    attempt: incident.error?.attempt,
    receiveCount: incident.receiveCount,
    traceId: incident.traceId,
    messageId: incident.messageId,
    createdAt: incident.createdAt,
  };
}

/** Tells people of a new incident; the handler calls it once per incident until it is marked notified. */
export interface IncidentNotifier {
  /** Rejects when the notice could not be handed on: the record is then retried, the incident not marked. */
  notify(notice: IncidentNotice): Promise<void>;
}

/** SNS allows at most 100 ASCII characters, without line breaks, for an email subject. */
const SUBJECT_LIMIT = 100;

/** The email subject: the kind of incident and the job's type, both from fixed lists, so always plain ASCII. */
function noticeSubject(notice: IncidentNotice): string {
  const subject = `jobsys incident: ${notice.reasonClass}${notice.jobType === undefined ? '' : ` (${notice.jobType})`}`;
  return subject.replace(/[^\x20-\x7e]/g, '?').slice(0, SUBJECT_LIMIT);
}

/** Publishes each notice to the stack's topic, as JSON: one message per incident for email, chat and code alike. */
export function snsNotifier(sns: Sns, topicArn: string, logger: Logger): IncidentNotifier {
  return {
    async notify(notice) {
      const { MessageId } = await sns.publish({ TopicArn: topicArn, Subject: noticeSubject(notice), Message: JSON.stringify(notice, null, 2) });
      logger.info({ incidentId: notice.incidentId, jobId: notice.jobId, snsMessageId: MessageId }, 'incident notification published');
    },
  };
}

/** Without a topic (make dev, the local stack has no SNS): the notice as a log line, so that it is seen. */
export function logNotifier(logger: Logger): IncidentNotifier {
  return {
    async notify(notice) {
      logger.warn({ ...notice, subject: noticeSubject(notice) }, 'incident notification (ALERT_TOPIC_ARN is not set: logged, not published)');
    },
  };
}

/** The stack's topic when ALERT_TOPIC_ARN names one, else the log. */
export function createNotifier(topicArn: string | undefined, sns: Sns, logger: Logger): IncidentNotifier {
  return topicArn === undefined ? logNotifier(logger) : snsNotifier(sns, topicArn, logger);
}
