import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * The api's memory figures are defined once, in the chart's values.yaml; the overlays, the ECS task
 * definition and the Compose file follow them, and the hostile-input test holds the bundle to them.
 */
const VALUES = new URL('../../charts/jobsys/values.yaml', import.meta.url);

const MAX_OLD_SPACE_SIZE = /(?:^|\s)--max-old-space-size=(\d+)(?=\s|$)/;

/** A memory quantity as the chart and the overlays write it, a whole number of Mi or Gi, in MiB. */
export function mebibytes(quantity: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`memory quantity ${JSON.stringify(quantity)}: expected a whole number of Mi or Gi`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

/** V8's old-space cap that a NODE_OPTIONS value sets, in MiB; undefined when it sets none. */
export function maxOldSpaceSizeMiB(nodeOptions: string | undefined): number | undefined {
  const match = MAX_OLD_SPACE_SIZE.exec(nodeOptions ?? '');
  return match ? Number(match[1]) : undefined;
}

export interface MemoryFigures {
  /** The container's memory limit: past it the kernel kills the process. */
  limitMiB: number;
  /** V8's old-space cap (`--max-old-space-size`), below the limit by what the process holds outside it. */
  maxOldSpaceSizeMiB: number;
}

export function chartApiMemory(): MemoryFigures {
  const values = parse(readFileSync(VALUES, 'utf8')) as { api: { resources: { limits: { memory: string } }; maxOldSpaceSizeMiB: number } };
  return { limitMiB: mebibytes(values.api.resources.limits.memory), maxOldSpaceSizeMiB: values.api.maxOldSpaceSizeMiB };
}
