import { readFileSync } from 'node:fs';
import { ConfigError } from '../../../lib/errors.ts';
import { orAbsent } from '../core/calls.ts';
import { drift } from '../core/drift.ts';
import type { Component } from '../core/names.ts';
import { tagList, type Stack } from '../core/stack.ts';
import { ECS_DIR } from './ecs-settings.ts';

/**
 * One template per service, ops/ecs/<service>.task.json: a RegisterTaskDefinition input with
 * `{{placeholders}}`. A string that is a placeholder alone may stand for any JSON value
 * (`"secrets": "{{secrets}}"`); inside a longer string it is text.
 */

export interface Secret {
  name: string;
  valueFrom: string;
}
export type TemplateValues = Record<string, string | Secret[]>;

interface ContainerDefinition {
  name: string;
  environment?: Array<{ name: string; value: string }>;
  secrets?: Secret[];
  stopTimeout?: number;
}
export interface TaskDefinition {
  family: string;
  containerDefinitions: ContainerDefinition[];
  [field: string]: unknown;
}

const FARGATE_DEFAULT_STOP_TIMEOUT = 30;
const FARGATE_MAX_STOP_TIMEOUT = 120;
const WHOLE = /^\{\{(\w+)\}\}$/;
const INLINE = /\{\{(\w+)\}\}/g;

/** Variables and secrets in name order, on both sides of a comparison, so that no order AWS returns them in is drift. */
const byName = <T extends { name: string }>(entries: T[]): T[] => [...entries].sort((a, b) => a.name.localeCompare(b.name));

function comparable(definition: TaskDefinition): TaskDefinition {
  return {
    ...definition,
    containerDefinitions: definition.containerDefinitions.map((container) => ({
      ...container,
      ...(container.environment === undefined ? {} : { environment: byName(container.environment) }),
      ...(container.secrets === undefined ? {} : { secrets: byName(container.secrets) }),
    })),
  };
}

export function readTemplate(component: Component): unknown {
  return JSON.parse(readFileSync(new URL(`${component}.task.json`, ECS_DIR), 'utf8')) as unknown;
}

/**
 * Substitutes the values, then checks what ECS would not: each SSM secret replaces the variable of
 * its name (so a parameter overrides a default), and the container's stopTimeout outlasts its own
 * drain (DRAIN_TIMEOUT_MS, SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS), or ECS would kill it mid-drain.
 */
export function renderTaskDefinition(template: unknown, values: TemplateValues, where: string): TaskDefinition {
  const lookup = (name: string) => {
    const value = values[name];
    if (value === undefined) throw new ConfigError(`${where} names {{${name}}}, which is not one of ${Object.keys(values).join(', ')}`);
    return value;
  };
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const whole = WHOLE.exec(node);
      if (whole?.[1] !== undefined) return lookup(whole[1]);
      return node.replace(INLINE, (_match, name: string) => {
        const value = lookup(name);
        if (typeof value !== 'string') throw new ConfigError(`${where}: {{${name}}} is a list and must be a whole value`);
        return value;
      });
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value)]));
    return node;
  };
  const rendered = walk(template) as TaskDefinition;
  for (const container of rendered.containerDefinitions) {
    const secretNames = new Set((container.secrets ?? []).map((secret) => secret.name));
    const environment = byName((container.environment ?? []).filter((variable) => !secretNames.has(variable.name)));
    container.environment = environment;
    if (container.secrets !== undefined) container.secrets = byName(container.secrets);
    const ms = (name: string) => Number(environment.find((variable) => variable.name === name)?.value ?? 0);
    const drainMs = Math.max(ms('DRAIN_TIMEOUT_MS'), ms('SHUTDOWN_DELAY_MS') + ms('SHUTDOWN_GRACE_MS'));
    const stopTimeout = container.stopTimeout ?? FARGATE_DEFAULT_STOP_TIMEOUT;
    if (stopTimeout > FARGATE_MAX_STOP_TIMEOUT) throw new ConfigError(`${where}: stopTimeout ${stopTimeout} s is more than Fargate allows (${FARGATE_MAX_STOP_TIMEOUT})`);
    if (stopTimeout * 1000 <= drainMs) {
      throw new ConfigError(`${where}: stopTimeout ${stopTimeout} s does not outlast the container's ${drainMs} ms drain: raise it (at most ${FARGATE_MAX_STOP_TIMEOUT})`);
    }
  }
  return rendered;
}

/** A secret per SSM parameter under the path; the variable is the parameter's last name segment. */
export async function readSecrets({ cli }: Stack, path: string): Promise<Secret[]> {
  const { Parameters: parameters } = await cli.call<{ Parameters: Array<{ Name: string; ARN: string }> }>('ssm', 'get-parameters-by-path', {
    Path: path,
    Recursive: false,
  });
  return parameters.map(({ Name, ARN }) => {
    const name = Name.slice(Name.lastIndexOf('/') + 1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ConfigError(`the SSM parameter ${Name} cannot be an environment variable: name it like DDB_TABLE (letters, digits, _)`);
    }
    return { name, valueFrom: ARN };
  });
}

const describe = async ({ cli }: Stack, family: string) =>
  (await orAbsent(cli.call<{ taskDefinition: TaskDefinition & { taskDefinitionArn: string; revision: number } }>(
    'ecs', 'describe-task-definition', { taskDefinition: family }), 'ClientException'))?.taskDefinition;

/** Registers a revision only when the rendered definition differs from the family's latest ACTIVE one; returns the ARN in use. */
export async function ensureTaskDefinition(stack: Stack, component: Component, rendered: TaskDefinition): Promise<string> {
  const { cli, names, report } = stack;
  const resource = `task definition ${rendered.family}`;
  const latest = await describe(stack, rendered.family);
  const differing = latest === undefined ? [] : drift(comparable(latest), rendered);
  if (latest !== undefined && differing.length === 0) {
    report.record('unchanged', resource, `revision ${latest.revision}`);
    return latest.taskDefinitionArn;
  }
  const { taskDefinition } = await cli.call<{ taskDefinition: { taskDefinitionArn: string; revision: number } }>('ecs', 'register-task-definition', {
    ...rendered,
    tags: tagList(names).map(({ Key, Value }) => ({ key: Key, value: Value })),
  });
  const detail = latest === undefined ? `revision ${taskDefinition.revision}` : `revision ${taskDefinition.revision}: ${differing.slice(0, 5).join(', ')}`;
  report.record(latest === undefined ? 'created' : 'updated', resource, `${component}, ${detail}`);
  return taskDefinition.taskDefinitionArn;
}

/** Every ACTIVE revision of the family, so that none can be run again; ECS keeps INACTIVE ones for a while. */
export async function removeTaskDefinitions({ cli, report }: Stack, family: string): Promise<void> {
  const { taskDefinitionArns: arns } = await cli.call<{ taskDefinitionArns: string[] }>('ecs', 'list-task-definitions', { familyPrefix: family, status: 'ACTIVE' });
  for (const arn of arns) await cli.call('ecs', 'deregister-task-definition', { taskDefinition: arn });
  report.record(arns.length === 0 ? 'absent' : 'removed', `task definition ${family}`, arns.length === 0 ? undefined : `${arns.length} revision(s)`);
}
