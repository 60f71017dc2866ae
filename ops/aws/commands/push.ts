import { ConfigError } from '../../../lib/errors.ts';
import { AwsCliError, DeployConflictError, DeployMissingError, DockerError } from '../../errors.ts';
import { orAbsent } from '../core/calls.ts';
import { createDocker, type Docker } from '../core/docker.ts';
import type { Component } from '../core/names.ts';
import { runScript } from '../core/report.ts';
import { openStack, type Env, type Stack } from '../core/stack.ts';
import { COMPONENTS, repositoryUri } from '../resources/repositories.ts';

/**
 * `make push`: the api and worker images `make build` tagged IMAGE_TAG, into this stack's ECR
 * repositories. ECR tags are immutable here (ops/aws/core/settings.ts), so a tag ECR already holds
 * is skipped when it is this very image and refused when it is another.
 */

const LOCAL_NAMES: Record<Component, string> = { api: 'API_IMAGE', worker: 'WORKER_IMAGE' };

function required(env: Env, name: string, hint: string): string {
  const value = env[name] ?? '';
  if (value === '') throw new ConfigError(`${name} is not set: ${hint}`);
  return value;
}

/** The digests the local image is known by in registries it was pushed to or pulled from. */
async function localDigests(docker: Docker, image: string, tag: string): Promise<string[]> {
  try {
    return (JSON.parse(await docker.run(['image', 'inspect', '--format', '{{json .RepoDigests}}', image])) as string[] | null) ?? [];
  } catch (err) {
    if (!(err instanceof DockerError)) throw err;
    throw new DeployMissingError(`the image ${image} is not here (${err.message}): run make build IMAGE_TAG=${tag} first`);
  }
}

async function remoteDigest({ cli, names }: Stack, component: Component, tag: string): Promise<string | undefined> {
  const found = await orAbsent(cli.call<{ imageDetails: Array<{ imageDigest: string }> }>('ecr', 'describe-images', {
    repositoryName: names.repositories[component],
    imageIds: [{ imageTag: tag }],
  }), 'ImageNotFoundException');
  return found?.imageDetails[0]?.imageDigest;
}

/** `aws ecr get-login-password | docker login --password-stdin`: the same token, decoded here and given to docker on stdin. */
async function login({ cli, report }: Stack, docker: Docker): Promise<void> {
  const { authorizationData } = await cli.call<{ authorizationData: Array<{ authorizationToken: string; proxyEndpoint: string }> }>('ecr', 'get-authorization-token');
  const auth = authorizationData[0];
  if (auth === undefined) throw new AwsCliError('ECR returned no authorization token');
  const decoded = Buffer.from(auth.authorizationToken, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const registry = new URL(auth.proxyEndpoint).host;
  await docker.run(['login', '--username', decoded.slice(0, colon), '--password-stdin', registry], decoded.slice(colon + 1));
  report.note(`logged in to ${registry}`);
}

if (import.meta.main) await runScript('push', 'fix the cause above and run make push again; images already pushed are skipped', async (report) => {
  const { env } = process;
  const tag = required(env, 'IMAGE_TAG', 'make push IMAGE_TAG=<tag> (a new tag per build: ECR tags are immutable)');
  const local = {
    api: `${required(env, LOCAL_NAMES.api, 'make push sets it from the Makefile')}:${tag}`,
    worker: `${required(env, LOCAL_NAMES.worker, 'make push sets it from the Makefile')}:${tag}`,
  };
  const docker = createDocker(env.DOCKER, env);

  report.step(`local images (${tag})`);
  const digests = {} as Record<Component, string[]>;
  for (const component of COMPONENTS) {
    digests[component] = await localDigests(docker, local[component], tag);
    report.note(`${local[component]}: built`);
  }

  const stack = await openStack(env, report);
  report.step('ECR repositories');
  const pending: Array<{ component: Component; remote: string }> = [];
  for (const component of COMPONENTS) {
    const uri = await repositoryUri(stack, component);
    const remote = `${uri}:${tag}`;
    const digest = await remoteDigest(stack, component, tag);
    if (digest === undefined) {
      pending.push({ component, remote });
    } else if (digests[component].includes(`${uri}@${digest}`)) {
      report.record('unchanged', `image ${remote}`, digest);
    } else {
      throw new DeployConflictError(`${remote} already holds another image (${digest}) and tags are immutable: build and push under a new tag, e.g. make build push IMAGE_TAG=$(git rev-parse --short HEAD)`);
    }
  }
  if (pending.length === 0) return;

  report.step('docker login, tag and push');
  await login(stack, docker);
  for (const { component, remote } of pending) {
    await docker.run(['tag', local[component], remote]);
    await docker.run(['push', remote]);
    report.record('created', `image ${remote}`);
  }
});
