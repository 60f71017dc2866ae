import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { deployEnv, make, recorded, standInDocker, uniqueStack, type StandInDocker } from '../support/deploy-stack.ts';
import { startMoto, type MotoServer } from '../support/moto.ts';

/**
 * A target that cannot do its work stops at once, exits non-zero (so make stops too), makes
 * nothing, and says what to do about it.
 */

let moto: MotoServer;
let home: string;
let docker: StandInDocker;

before(async () => {
  moto = await startMoto();
  home = await mkdtemp(join(tmpdir(), 'jobsys-failures-'));
  docker = await standInDocker(home);
});

after(async () => {
  await moto?.stop();
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

const envFor = (vars: Record<string, string> = {}) => deployEnv(moto, home, {
  STACK: uniqueStack('fail'),
  ALLOWED_CIDR: '203.0.113.7/32',
  PATH: `${docker.dir}:${process.env.PATH ?? ''}`,
  ...vars,
});

test('no region: bootstrap stops before any call, says how to set one, and make runs nothing after it', async () => {
  const result = await make(['bootstrap', 'deploy-ecs', 'AWS_REGION='], envFor());
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /bootstrap: failed: no AWS region: set AWS_REGION/);
  assert.match(result.stderr, /run make bootstrap again/);
  assert.doesNotMatch(result.stdout + result.stderr, /deploy-ecs/, 'make stopped at the failed target');
  assert.deepEqual(recorded(result.stdout), []);
});

test('a STACK that AWS would refuse somewhere is refused first', async () => {
  const result = await make(['bootstrap', 'STACK=Jobsys_Prod'], envFor());
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /STACK must be 2 to 29 lower-case letters, digits and hyphens.*got "Jobsys_Prod"/);
});

test('deploy-ecs before bootstrap names what is missing and says to run make bootstrap', async () => {
  const result = await make(['deploy-ecs', 'IMAGE_TAG=v1'], envFor());
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /deploy-ecs: failed: the queue fail-[0-9a-f]+-jobs does not exist: run make bootstrap first/);
  assert.deepEqual(recorded(result.stdout), []);
});

test('push without built images says to run make build, before it logs in anywhere', async () => {
  const result = await make(['push', 'IMAGE_TAG=v9'], envFor());
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /push: failed: the image jobsys-api:v9 is not here .*run make build IMAGE_TAG=v9 first/);
  assert.equal((await docker.calls()).filter(({ args }) => args[0] === 'login').length, 0);
});

test('teardown refuses a KEEP_ flag it cannot read rather than guess', async () => {
  const result = await make(['teardown', 'KEEP_DATA=yes'], envFor());
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /KEEP_DATA is 1 \(yes\) or empty \(no\), got "yes"/);
  assert.deepEqual(recorded(result.stdout), []);
});

test('deploy-ecs refuses to open the api to the whole internet before it makes anything', async () => {
  const result = await make(['deploy-ecs', 'IMAGE_TAG=v1', 'ALLOWED_CIDR=0.0.0.0/0'], envFor());
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /ALLOWED_CIDR=0\.0\.0\.0\/0 would open .* to the whole internet/);
  assert.deepEqual(recorded(result.stdout), []);
});

test('bootstrap refuses an ALERT_EMAIL that is no address, or an alarm threshold out of range, naming both, before it looks at anything', async () => {
  const result = await make(['bootstrap', 'ALERT_EMAIL=oncall', 'ALARM_MESSAGE_AGE=5'], envFor());
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /ALERT_EMAIL is "oncall", not an email address/);
  assert.match(result.stderr, /ALARM_MESSAGE_AGE must be an integer from 60 to 1209600, got "5"/);
  assert.deepEqual(recorded(result.stdout), []);
});
