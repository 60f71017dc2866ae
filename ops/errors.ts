import { JobsysError } from '../lib/errors.ts';

/**
 * The errors of ops/: building (ops/build) and deploying (ops/aws, ops/ec2, ops/iam), one class per
 * code. A bad or missing setting is lib's ConfigError; these are what a build refused, or what AWS,
 * Docker or the aws CLI answered.
 */

/** Something an earlier step makes (make bootstrap, make build, make push), or the account has (a default VPC), is not there. */
export class DeployMissingError extends JobsysError { static override readonly code = 'JOBSYS_DEPLOY_MISSING'; }

/** What exists is not this stack's to change, or cannot be changed now (a tag that is taken, a service being deleted). */
export class DeployConflictError extends JobsysError { static override readonly code = 'JOBSYS_DEPLOY_CONFLICT'; }

/** AWS accepted a change and then failed to apply it (a rollout rolled back, a function update failed). */
export class DeployFailedError extends JobsysError { static override readonly code = 'JOBSYS_DEPLOY_FAILED'; }

/** A change AWS finishes in the background did not finish in the time given. */
export class DeployTimeoutError extends JobsysError { static override readonly code = 'JOBSYS_DEPLOY_TIMEOUT'; }

/** EC2 is not as a deploy-ec2 run needs it: no default subnet offers the type, an instance would not run, a group is in use. */
export class Ec2Error extends JobsysError { static override readonly code = 'JOBSYS_EC2'; }

/** A docker command failed, or there is no docker to run. */
export class DockerError extends JobsysError { static override readonly code = 'JOBSYS_DOCKER'; }

export interface AwsCliFailure {
  /** The command as shown in the trace, `aws <service> <operation>`. */
  command: string;
  stderr: string;
  /** AWS's error code when the CLI printed one (`ResourceNotFoundException`). */
  awsCode: string | undefined;
}

/**
 * The aws CLI failed, is missing, or answered without what it must return. A failed command
 * carries AWS's error code in `awsCode`, which `is` compares.
 */
export class AwsCliError extends JobsysError {
  static override readonly code = 'JOBSYS_AWS_CLI';
  readonly awsCode: string | undefined;
  readonly command: string | undefined;
  readonly stderr: string;

  constructor(message: string, failure?: AwsCliFailure) {
    super(message);
    this.command = failure?.command;
    this.stderr = failure?.stderr ?? '';
    this.awsCode = failure?.awsCode;
  }

  static failed(failure: AwsCliFailure): AwsCliError {
    return new AwsCliError(`${failure.command} failed: ${failure.stderr.trim() || 'no output'}`, failure);
  }

  is(...codes: string[]): boolean {
    return this.awsCode !== undefined && codes.includes(this.awsCode);
  }
}

/** A bundle holds an input its component must never ship: the build removes it and fails. */
export class ForbiddenBundleInputError extends JobsysError {
  static override readonly code = 'JOBSYS_BUNDLE_FORBIDDEN';

  constructor(entry: string, forbidden: readonly string[]) {
    super(`the ${entry} bundle must not contain:\n  ${forbidden.join('\n  ')}`);
  }
}
