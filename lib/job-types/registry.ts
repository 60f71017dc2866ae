import type { JobType } from './job-type.ts';
import { report } from './report.ts';
import { transform } from './transform.ts';

/**
 * Every job type, shared by api (validation, the OpenAPI document) and worker (execution). A new
 * type is its own file and one entry here (docs/job-types.md).
 */
const TYPES: readonly JobType[] = [transform, report];

export const JOB_TYPES: ReadonlyMap<string, JobType> = new Map(TYPES.map((type) => [type.name, type]));
