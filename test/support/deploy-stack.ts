import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAwsCli, type AwsCli } from '../../ops/aws/core/cli.ts';
import type { Change } from '../../ops/aws/core/report.ts';
import type { MotoServer } from './moto.ts';

/**
 * Driving the real `make` targets against moto_server, as a user would run them, and reading
 * back what they printed. Every run gets a clean environment: no AWS profile or region of the
 * machine's leaks in, and no MAKEFLAGS of an enclosing `make test-deploy`.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface MakeRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A stack name no other test uses: lower case, as STACK must be. */
export const uniqueStack = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/** The environment a user on this machine would have, pointed at moto, with the given variables. */
export function deployEnv(moto: MotoServer, home: string, vars: Record<string, string>): Record<string, string> {
  const inherited = Object.entries(process.env).filter(([name]) => !/^(AWS_|MAKE|MFLAGS|STACK$|IMAGE_TAG$|KEEP_|ALLOWED_CIDR|ALLOW_WIDE_CIDR$|KMS_KEY_ID$|ALERT_EMAIL$|ALARM_|DOCKER$)/.test(name));
  return {
    ...Object.fromEntries(inherited as Array<[string, string]>),
    ...moto.env,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
    ...vars,
  };
}

/** `make <args>` in the repository, to completion; never rejects, the exit code says how it went. */
export function make(args: string[], env: Record<string, string>): Promise<MakeRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile('make', ['--no-print-directory', ...args], { cwd: ROOT, env, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

const RECORD = /^ {3}(created|updated|unchanged|removed|absent)\s+(.+?)(?: {2}\((.*)\))?$/;

/** The report lines (ops/aws/core/report.ts) a run printed. */
export function recorded(stdout: string): Array<{ change: Change; resource: string }> {
  return stdout.split('\n').flatMap((line) => {
    const match = RECORD.exec(line);
    return match === null ? [] : [{ change: match[1] as Change, resource: match[2] ?? '' }];
  });
}

/** The aws CLI the scripts use, pointed at moto, for the tests' own look at what exists. */
export function motoCli(moto: MotoServer, home: string): AwsCli {
  return createAwsCli({ env: deployEnv(moto, home, {}) });
}

export interface DockerCall {
  args: string[];
  stdin: string;
}

export interface StandInDocker {
  dir: string;
  calls(): Promise<DockerCall[]>;
  /** Makes `image` exist locally, known in registries by these digests (`<repo>@sha256:…`). */
  setImage(image: string, repoDigests: string[]): Promise<void>;
}

/**
 * A `docker` executable for PATH that records every call (argv, and stdin for --password-stdin)
 * and answers `image inspect` from a table of images the test sets; login, tag and push succeed.
 */
export async function standInDocker(dir: string): Promise<StandInDocker> {
  const images = join(dir, 'images.json');
  const log = join(dir, 'calls.jsonl');
  await writeFile(images, '{}');
  await writeFile(log, '');
  await writeFile(join(dir, 'docker'), `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
const stdin = args.includes('--password-stdin') ? fs.readFileSync(0, 'utf8') : '';
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, stdin }) + '\\n');
const images = JSON.parse(fs.readFileSync(${JSON.stringify(images)}, 'utf8'));
if (args[0] === 'image' && args[1] === 'inspect') {
  const image = args[args.length - 1];
  if (!(image in images)) { process.stderr.write('Error: No such image: ' + image + '\\n'); process.exit(1); }
  process.stdout.write(JSON.stringify(images[image]) + '\\n');
} else if (args[0] === 'login') {
  process.stdout.write('Login Succeeded\\n');
} else if (args[0] !== 'tag' && args[0] !== 'push') {
  process.stderr.write('stand-in docker: ' + args.join(' ') + ' is not supported\\n');
  process.exit(1);
}
`);
  await chmod(join(dir, 'docker'), 0o755);
  return {
    dir,
    async calls() {
      const text = await readFile(log, 'utf8');
      return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as DockerCall);
    },
    async setImage(image, repoDigests) {
      const table = JSON.parse(await readFile(images, 'utf8')) as Record<string, string[]>;
      table[image] = repoDigests;
      await writeFile(images, JSON.stringify(table));
    },
  };
}

/** What a real `docker push` leaves in ECR: an image under the tag. Returns its digest. */
export async function putImage(cli: AwsCli, repositoryName: string, tag: string): Promise<string> {
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: `sha256:${randomBytes(32).toString('hex')}` },
    layers: [],
  };
  const { image } = await cli.call<{ image: { imageId: { imageDigest: string } } }>('ecr', 'put-image', {
    repositoryName,
    imageTag: tag,
    imageManifest: JSON.stringify(manifest),
  });
  return image.imageId.imageDigest;
}

/** The run, if it succeeded; else an error carrying everything it printed. */
export function succeeded(run: MakeRun, what: string): MakeRun {
  if (run.code !== 0) throw new Error(`${what} exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return run;
}
