import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { startLocalStack } from '../dev/local-stack.ts';
import { createAws, createUndiciTransport } from '../lib/aws/index.ts';

const ROOT = new URL('..', import.meta.url);
const PATCHES = new URL('patches/', ROOT);

interface Hunk {
  /** The lines the hunk expects (context and removed), then what it leaves (context and added). */
  before: string;
  after: string;
  removed: string[];
  added: string[];
}

interface FilePatch {
  path: string;
  hunks: Hunk[];
}

/** The files and hunks of a git-style diff, as patch-package writes them. */
function parsePatch(text: string): FilePatch[] {
  const files: FilePatch[] = [];
  let hunk: { before: string[]; after: string[]; removed: string[]; added: string[] } | undefined;
  const close = () => {
    if (hunk) files.at(-1)?.hunks.push({ before: hunk.before.join('\n'), after: hunk.after.join('\n'), removed: hunk.removed, added: hunk.added });
    hunk = undefined;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      close();
      files.push({ path: line.split(' b/')[1] ?? '', hunks: [] });
    } else if (line.startsWith('@@ ')) {
      close();
      hunk = { before: [], after: [], removed: [], added: [] };
    } else if (hunk && line.startsWith('-')) {
      hunk.before.push(line.slice(1));
      hunk.removed.push(line.slice(1));
    } else if (hunk && line.startsWith('+')) {
      hunk.after.push(line.slice(1));
      hunk.added.push(line.slice(1));
    } else if (hunk && line.startsWith(' ')) {
      hunk.before.push(line.slice(1));
      hunk.after.push(line.slice(1));
    }
  }
  close();
  return files;
}

async function patches(): Promise<Array<{ name: string; files: FilePatch[] }>> {
  const names = (await readdir(PATCHES)).filter((name) => name.endsWith('.patch')).sort();
  return Promise.all(names.map(async (name) => ({ name, files: parsePatch(await readFile(new URL(name, PATCHES), 'utf8')) })));
}

test('every patch under patches/ is applied to the installed package it names, at the version it names', async () => {
  const found = await patches();
  assert.ok(found.length > 0, 'patches/ holds no patch');
  for (const { name, files } of found) {
    const [, packageName, version] = /^(.+)\+([^+]+)\.patch$/.exec(name) ?? [];
    assert.ok(packageName && version, `${name}: not named <package>+<version>.patch`);
    const installed = JSON.parse(await readFile(new URL(`node_modules/${packageName}/package.json`, ROOT), 'utf8')) as { version: string };
    assert.equal(installed.version, version, `${name}: installed ${packageName} is ${installed.version}`);
    assert.ok(files.length > 0 && files.every((file) => file.hunks.length > 0), `${name}: no hunk`);
    for (const file of files) {
      const text = await readFile(new URL(file.path, ROOT), 'utf8');
      for (const hunk of file.hunks) {
        assert.ok(text.includes(hunk.after), `${file.path}: a hunk of ${name} is not applied (npm ci runs patch-package as postinstall)`);
        assert.ok(!text.includes(hunk.before), `${file.path}: still holds what a hunk of ${name} replaces`);
      }
    }
  }
});

test('the local-aws-sqs patch changes one expression: the receive count grows on a receive, not on a visibility change', async () => {
  const patch = (await patches()).find(({ name }) => name.startsWith('local-aws-sqs+'));
  assert.ok(patch, 'no patch for local-aws-sqs');
  const hunks = patch.files.flatMap((file) => file.hunks);
  assert.deepEqual(patch.files.map((file) => file.path), ['node_modules/local-aws-sqs/dist/index.js']);
  assert.equal(hunks.length, 1);
  const [hunk] = hunks;
  assert.equal(hunk?.removed.length, 1);
  assert.equal(hunk?.added.length, 1);
  // The visibility path's third argument is true for ChangeMessageVisibility, false for a receive.
  const buggy = 'let n=Number(t.record.attributes.ApproximateReceiveCount)+1;';
  const fixed = 'let n=Number(t.record.attributes.ApproximateReceiveCount)+(i?0:1);';
  assert.equal(hunk?.removed[0]?.split(buggy).length, 2);
  assert.equal(hunk?.added[0], hunk?.removed[0]?.replace(buggy, fixed));
});

test('ChangeMessageVisibility does not count as a receive: ApproximateReceiveCount counts receives only, as on AWS', async (t) => {
  const stack = await startLocalStack();
  const transport = createUndiciTransport();
  t.after(async () => {
    await transport.close();
    await stack.stop();
  });
  const { sqs } = createAws({ env: stack.env, transport });
  const { QueueUrl } = await sqs.createQueue({ QueueName: `q-${randomBytes(4).toString('hex')}` });
  await sqs.sendMessage({ QueueUrl, MessageBody: 'heartbeat me' });
  const receive = async () => {
    const { Messages } = await sqs.receiveMessage({ QueueUrl, WaitTimeSeconds: 5, MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
    assert.equal(Messages.length, 1);
    return Messages[0]!;
  };
  const first = await receive();
  assert.equal(first.Attributes?.['ApproximateReceiveCount'], '1');
  // Two heartbeats, then the message is given back at once.
  await sqs.changeMessageVisibility({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 30 });
  await sqs.changeMessageVisibility({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 30 });
  await sqs.changeMessageVisibility({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 });
  assert.equal((await receive()).Attributes?.['ApproximateReceiveCount'], '2');
});
