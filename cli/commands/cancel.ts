import type { Command } from '../command.ts';
import { forEachJob } from './per-job.ts';

export const cancel: Command = {
  name: 'cancel',
  summary: 'cancel jobs (a running one stops within seconds)',
  usage: 'jobsys cancel JOB_ID…',
  description: [
    'Cancels each job. One not yet running is CANCELLED at once; a running one is asked to stop',
    '(its worker does within about 10 s: jobsys watch shows it end). A job that already',
    'SUCCEEDED or FAILED_FINAL cannot be cancelled: that is a failure, and the exit status is 1.',
    '',
    'Example:',
    '  jobsys cancel 63179c47-6579-801a-9998-e6a331ddfda0',
    '  63179c47-6579-801a-9998-e6a331ddfda0  CANCELLED',
  ].join('\n'),
  options: {},
  positionals: true,
  run: (context) => forEachJob(context, (jobId) => context.client().cancel(jobId), ({ job }) =>
    job.cancelRequested === true && job.status !== 'CANCELLED' ? `cancel requested (${job.status}: its worker stops it within seconds)` : job.status),
};
