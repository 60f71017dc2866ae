import { JobsysError } from '../../lib/errors.ts';

/** The errors of building: what a bundle or the Lambda's zip may not be. */

/** A bundle holds an input its component must never ship: the build removes it and fails. */
export class ForbiddenBundleInputError extends JobsysError {
  constructor(entry: string, forbidden: readonly string[]) {
    super('JOBSYS_BUNDLE_FORBIDDEN', `the ${entry} bundle must not contain:\n  ${forbidden.join('\n  ')}`);
  }
}
