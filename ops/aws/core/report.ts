import { JobsysError } from '../../../lib/errors.ts';
import { AwsCliError } from '../../errors.ts';

/**
 * What a deploy script did, printed as it goes: a heading per step and one line per resource.
 * The closing summary is what makes idempotency visible: a second run reports nothing created,
 * updated or removed, and the tests assert exactly that.
 */
export type Change = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent';

export interface Report {
  step(title: string): void;
  record(change: Change, resource: string, detail?: string): void;
  /** Informational lines (an address to curl, a hint) that are not a change. */
  note(line: string): void;
  readonly changes: ReadonlyArray<{ change: Change; resource: string }>;
  summary(): string;
}

export function createReport(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Report {
  const changes: Array<{ change: Change; resource: string }> = [];
  return {
    changes,
    step: (title) => write(`== ${title}`),
    record(change, resource, detail) {
      changes.push({ change, resource });
      write(`   ${change.padEnd(9)} ${resource}${detail === undefined ? '' : `  (${detail})`}`);
    },
    note: (line) => write(`   ${line}`),
    summary() {
      const counts = new Map<Change, number>();
      for (const { change } of changes) counts.set(change, (counts.get(change) ?? 0) + 1);
      return [...counts].map(([change, count]) => `${count} ${change}`).join(', ') || 'nothing to do';
    },
  };
}

/**
 * A script's entry point: runs it, prints the summary, and on failure says what went wrong and
 * what to do, then exits 1 (make stops at the first failing target).
 */
export async function runScript(name: string, hint: string, main: (report: Report) => Promise<void>): Promise<void> {
  const report = createReport();
  try {
    await main(report);
    process.stdout.write(`${name}: done: ${report.summary()}\n`);
  } catch (err) {
    const message = err instanceof JobsysError ? err.message : String((err as Error)?.stack ?? err);
    process.stderr.write(`${name}: failed: ${message}\n`);
    if (err instanceof AwsCliError && err.is('ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException')) {
      process.stderr.write(`${name}: your AWS credentials are missing or expired: check AWS_PROFILE (aws sts get-caller-identity)\n`);
    }
    process.stderr.write(`${name}: ${hint}\n`);
    process.exitCode = 1;
  }
}
