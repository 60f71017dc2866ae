import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createSharedFilesSource, sharedFilePaths } from '../lib/aws/credentials/shared-files.ts';
import { readProfileRegion } from '../lib/aws/index.ts';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'jobsys-shared-files-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let homes = 0;
/** A fresh home directory holding ~/.aws/credentials and ~/.aws/config as given. */
async function home(files: { credentials?: string; config?: string }): Promise<string> {
  const dir = path.join(root, `home-${++homes}`);
  await mkdir(path.join(dir, '.aws'), { recursive: true });
  if (files.credentials !== undefined) await writeFile(path.join(dir, '.aws', 'credentials'), files.credentials);
  if (files.config !== undefined) await writeFile(path.join(dir, '.aws', 'config'), files.config);
  return dir;
}

test('shared files read the default profile, with comments and spaces around "="', async () => {
  const homedir = await home({
    credentials: [
      '# a full-line comment',
      '; another',
      '[default]',
      'aws_access_key_id=AKIDDEFAULT',
      '  aws_secret_access_key   =   secret/with+chars  ',
      'aws_session_token = tok#en== # an inline comment needs the space before #',
      '',
    ].join('\n'),
  });
  const credentials = await createSharedFilesSource({ env: {}, homedir }).load();
  assert.deepEqual(credentials, {
    accessKeyId: 'AKIDDEFAULT',
    secretAccessKey: 'secret/with+chars',
    sessionToken: 'tok#en==',
  });
});

test('shared files pick AWS_PROFILE: [name] in credentials, [profile name] in config', async () => {
  const homedir = await home({
    credentials: '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = w\n',
    config: '[profile dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = v\n',
  });
  const work = await createSharedFilesSource({ env: { AWS_PROFILE: 'work' }, homedir }).load();
  assert.equal(work?.accessKeyId, 'AKIDWORK');
  const dev = await createSharedFilesSource({ env: { AWS_PROFILE: 'dev' }, homedir }).load();
  assert.equal(dev?.accessKeyId, 'AKIDDEV');
});

test('shared files ignore a config section named without the "profile" prefix', async () => {
  const homedir = await home({ config: '[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = v\n' });
  await assert.rejects(createSharedFilesSource({ env: { AWS_PROFILE: 'dev' }, homedir }).load(), /AWS_PROFILE "dev" not found/);
});

test('shared files accept [default] and [profile default] in the config file', async () => {
  const plain = await home({ config: '[default]\naws_access_key_id = AKIDPLAIN\naws_secret_access_key = p\n' });
  assert.equal((await createSharedFilesSource({ env: {}, homedir: plain }).load())?.accessKeyId, 'AKIDPLAIN');
  const prefixed = await home({ config: '[profile default]\naws_access_key_id = AKIDPREFIXED\naws_secret_access_key = p\n' });
  assert.equal((await createSharedFilesSource({ env: {}, homedir: prefixed }).load())?.accessKeyId, 'AKIDPREFIXED');
});

test('the credentials file wins over the config file for the same profile', async () => {
  const homedir = await home({
    credentials: '[ci]\naws_access_key_id = AKIDFROMCREDENTIALS\naws_secret_access_key = from-credentials\n',
    config: '[profile ci]\naws_access_key_id = AKIDFROMCONFIG\naws_secret_access_key = from-config\nregion = eu-west-1\n',
  });
  const credentials = await createSharedFilesSource({ env: { AWS_PROFILE: 'ci' }, homedir }).load();
  assert.equal(credentials?.accessKeyId, 'AKIDFROMCREDENTIALS');
  assert.equal(credentials?.secretAccessKey, 'from-credentials');
});

test('shared files skip indented sub-properties, so they cannot shadow a key', async () => {
  const homedir = await home({
    config: [
      '[default]',
      's3 =',
      '  aws_access_key_id = NOT-THIS-ONE',
      'aws_access_key_id = AKIDTOP',
      'AWS_SECRET_ACCESS_KEY = upper-cased-key',
    ].join('\n'),
  });
  const credentials = await createSharedFilesSource({ env: {}, homedir }).load();
  assert.equal(credentials?.accessKeyId, 'AKIDTOP');
  assert.equal(credentials?.secretAccessKey, 'upper-cased-key');
});

test('AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE replace the paths under HOME', async () => {
  const dir = await home({});
  const credentialsFile = path.join(dir, 'creds.ini');
  await writeFile(credentialsFile, '[default]\naws_access_key_id = AKIDCUSTOM\naws_secret_access_key = c\n');
  const env = { HOME: dir, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: '~/elsewhere/config' };
  assert.deepEqual(sharedFilePaths({ env }), { credentialsFile, configFile: path.join(dir, 'elsewhere', 'config') });
  assert.equal((await createSharedFilesSource({ env }).load())?.accessKeyId, 'AKIDCUSTOM');
});

test('shared files take the home directory from the env HOME when none is injected', async () => {
  const dir = await home({ credentials: '[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = h\n' });
  assert.equal((await createSharedFilesSource({ env: { HOME: dir } }).load())?.accessKeyId, 'AKIDHOME');
});

test('shared files are not set up when neither file exists and no profile is named', async () => {
  const homedir = await home({});
  assert.equal(await createSharedFilesSource({ env: {}, homedir }).load(), undefined);
});

test('a default profile holding only settings such as region is not a credential source', async () => {
  const homedir = await home({ config: '[default]\nregion = eu-west-1\noutput = json\n' });
  assert.equal(await createSharedFilesSource({ env: {}, homedir }).load(), undefined);
});

test('an AWS_PROFILE that exists in neither file is an error naming the files read and missing', async () => {
  const homedir = await home({ credentials: '[default]\naws_access_key_id = A\naws_secret_access_key = s\n' });
  const { credentialsFile, configFile } = sharedFilePaths({ env: {}, homedir });
  await assert.rejects(createSharedFilesSource({ env: { AWS_PROFILE: 'prod' }, homedir }).load(), (err: Error) => {
    assert.equal((err as { code?: string }).code, 'JOBSYS_CREDENTIALS');
    assert.match(err.message, /AWS_PROFILE "prod" not found/);
    assert.ok(err.message.includes(`read ${credentialsFile}`), err.message);
    assert.ok(err.message.includes(`${configFile} does not exist`), err.message);
    return true;
  });
});

test('an AWS_PROFILE without static keys is an error, not a fall-through', async () => {
  const homedir = await home({ config: '[profile empty]\nregion = eu-west-1\n' });
  await assert.rejects(
    createSharedFilesSource({ env: { AWS_PROFILE: 'empty' }, homedir }).load(),
    /profile "empty" has no aws_access_key_id and aws_secret_access_key/,
  );
});

test('a profile with only half of the key pair is an error', async () => {
  const homedir = await home({ credentials: '[default]\naws_access_key_id = AKIDHALF\n' });
  await assert.rejects(
    createSharedFilesSource({ env: {}, homedir }).load(),
    /sets aws_access_key_id but not aws_secret_access_key/,
  );
});

test('a profile that assumes a role or runs a process is reported as unsupported', async () => {
  const homedir = await home({ config: '[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n' });
  await assert.rejects(
    createSharedFilesSource({ env: {}, homedir }).load(),
    /gets credentials by role_arn, source_profile, which jobsys does not support/,
  );
});

test('readProfileRegion reads the profile region from the config file', async () => {
  const homedir = await home({
    credentials: '[dev]\nregion = us-west-2\n',
    config: '[default]\nregion = eu-west-1\n[profile dev]\nregion = eu-central-1\n',
  });
  assert.equal(await readProfileRegion({ env: {}, homedir }), 'eu-west-1');
  assert.equal(await readProfileRegion({ env: { AWS_PROFILE: 'dev' }, homedir }), 'eu-central-1');
  assert.equal(await readProfileRegion({ env: { AWS_PROFILE: 'other' }, homedir }), undefined);
  assert.equal(await readProfileRegion({ env: {}, homedir: await home({}) }), undefined);
});
