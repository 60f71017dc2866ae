import { DeployMissingError } from '../../errors.ts';
import { orAbsent } from '../core/calls.ts';
import { drift, parseDocument } from '../core/drift.ts';
import type { Component } from '../core/names.ts';
import { ECR } from '../core/settings.ts';
import { tagList, type Stack } from '../core/stack.ts';

interface Repository {
  repositoryName: string;
  repositoryUri: string;
  imageTagMutability: string;
  imageScanningConfiguration?: { scanOnPush: boolean };
}

export const COMPONENTS: readonly Component[] = ['api', 'worker'];
const NOT_FOUND = 'RepositoryNotFoundException';

async function describeRepository({ cli }: Stack, name: string): Promise<Repository | undefined> {
  const found = await orAbsent(cli.call<{ repositories: Repository[] }>('ecr', 'describe-repositories', { repositoryNames: [name] }), NOT_FOUND);
  return found?.repositories[0];
}

/** The repository's URI (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`), or a message to run bootstrap. */
export async function repositoryUri(stack: Stack, component: Component): Promise<string> {
  const name = stack.names.repositories[component];
  const repository = await describeRepository(stack, name);
  if (repository === undefined) throw new DeployMissingError(`the ECR repository ${name} does not exist: run make bootstrap first`);
  return repository.repositoryUri;
}

const lifecyclePolicy = {
  rules: [
    {
      rulePriority: 1,
      description: `expire untagged images after ${ECR.untaggedDays} days`,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: ECR.untaggedDays },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      description: `keep the last ${ECR.keepImages} images`,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: ECR.keepImages },
      action: { type: 'expire' },
    },
  ],
};

async function ensureRepository(stack: Stack, name: string): Promise<void> {
  const { cli, names, report } = stack;
  const resource = `repository ${name}`;
  const existing = await describeRepository(stack, name);
  const changed: string[] = [];
  if (existing === undefined) {
    await cli.call('ecr', 'create-repository', {
      repositoryName: name,
      imageTagMutability: ECR.imageTagMutability,
      imageScanningConfiguration: { scanOnPush: ECR.scanOnPush },
      encryptionConfiguration: { encryptionType: 'AES256' },
      tags: tagList(names),
    });
  } else {
    if (existing.imageTagMutability !== ECR.imageTagMutability) {
      await cli.call('ecr', 'put-image-tag-mutability', { repositoryName: name, imageTagMutability: ECR.imageTagMutability });
      changed.push('imageTagMutability');
    }
    if (existing.imageScanningConfiguration?.scanOnPush !== ECR.scanOnPush) {
      await cli.call('ecr', 'put-image-scanning-configuration', { repositoryName: name, imageScanningConfiguration: { scanOnPush: ECR.scanOnPush } });
      changed.push('scanOnPush');
    }
  }
  const current = await orAbsent(cli.call<{ lifecyclePolicyText: string }>('ecr', 'get-lifecycle-policy', { repositoryName: name }), 'LifecyclePolicyNotFoundException');
  const currentPolicy = current === undefined ? undefined : parseDocument(current.lifecyclePolicyText);
  if (currentPolicy === undefined || drift(currentPolicy, lifecyclePolicy).length > 0) {
    await cli.call('ecr', 'put-lifecycle-policy', { repositoryName: name, lifecyclePolicyText: JSON.stringify(lifecyclePolicy) });
    changed.push('lifecycle policy');
  }
  if (existing === undefined) report.record('created', resource, `tags ${ECR.imageTagMutability.toLowerCase()}, scan on push, keeps ${ECR.keepImages} images`);
  else report.record(changed.length > 0 ? 'updated' : 'unchanged', resource, changed.length > 0 ? changed.join(', ') : undefined);
}

export async function ensureRepositories(stack: Stack): Promise<void> {
  for (const component of COMPONENTS) await ensureRepository(stack, stack.names.repositories[component]);
}

/** Deletes the repositories with every image in them (`force`), unless KEEP_IMAGES=1. */
export async function removeRepositories(stack: Stack, keep: boolean): Promise<void> {
  for (const component of COMPONENTS) {
    const name = stack.names.repositories[component];
    const resource = `repository ${name}`;
    if (keep) {
      stack.report.record('unchanged', resource, 'kept: KEEP_IMAGES=1');
      continue;
    }
    const deleted = await orAbsent(stack.cli.call('ecr', 'delete-repository', { repositoryName: name, force: true }), NOT_FOUND);
    stack.report.record(deleted === undefined ? 'absent' : 'removed', resource);
  }
}

/**
 * The reference of a pushed image, checked to exist: ECS would fail to pull and roll back, an EC2
 * instance boot to nothing, minutes later; this says so at once.
 */
export async function pushedImage(stack: Stack, component: Component, tag: string): Promise<string> {
  const uri = await repositoryUri(stack, component);
  const found = await orAbsent(stack.cli.call('ecr', 'describe-images', {
    repositoryName: stack.names.repositories[component],
    imageIds: [{ imageTag: tag }],
  }), 'ImageNotFoundException');
  if (found === undefined) throw new DeployMissingError(`${uri}:${tag} is not in ECR: run make build push IMAGE_TAG=${tag} first`);
  return `${uri}:${tag}`;
}
