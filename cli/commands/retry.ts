import type { Command } from '../command.ts';
import { forEachJob } from './per-job.ts';

export const retry: Command = {
  name: 'retry',
  summary: 'run FAILED_FINAL or CANCELLED jobs again',
  usage: 'jobsys retry JOB_ID…',
  description: [
    'Makes each FAILED_FINAL or CANCELLED job PENDING again, with a fresh round of attempts.',
    'Any other job cannot be retried: that is a failure, and the exit status is 1.',
    '',
    'Example:',
    '  jobsys retry f33ca4a3-2254-44c7-9f74-08b9fdfc9035',
    '  f33ca4a3-2254-44c7-9f74-08b9fdfc9035  PENDING',
  ].join('\n'),
  options: {},
  positionals: true,
  run: (context) => forEachJob(context, (jobId) => context.client().retry(jobId), ({ job }) => job.status),
};
