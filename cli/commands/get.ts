import { EXIT, type Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { writeJsonLine, writeLine } from '../io.ts';
import { formatJob } from '../output/job.ts';

export const get: Command = {
  name: 'get',
  summary: 'show a job: status, result or error, and its attempts',
  usage: 'jobsys get JOB_ID',
  description: [
    'Prints the job as GET /jobs/{id} answers it: with --json, that JSON as it came.',
    '',
    'Example:',
    '  jobsys get 63179c47-6579-801a-9998-e6a331ddfda0',
  ].join('\n'),
  options: {},
  positionals: true,
  async run(context) {
    if (context.positionals.length !== 1) throw new UsageError('get takes one job id');
    const job = await context.client().get(context.positionals[0]!);
    if (context.json) writeJsonLine(context.io.stdout, job);
    else writeLine(context.io.stdout, formatJob(job));
    return EXIT.ok;
  },
};
