import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { CONTENT_SECURITY_POLICY } from '../api/dashboard/content-security-policy.ts';
import { checkingConformance, startTestApi, startTestStack, type TestApi, type TestStack } from './support/api.ts';

const PUBLIC = new URL('../api/dashboard/public/', import.meta.url);

let stack: TestStack;
let api: TestApi;

before(async () => {
  stack = await startTestStack();
  api = await startTestApi(stack, { access: { disabled: false, keys: [], rateLimit: { perSecond: 1, burst: 1 } } });
});
after(async () => {
  await api?.close();
  await stack?.stop();
});

test('GET /dashboard serves the page without a key, under a CSP that allows nothing inline, evaluated or from elsewhere', checkingConformance(async () => {
  const page = await api.request('GET', '/dashboard');
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.text, await readFile(new URL('index.html', PUBLIC), 'utf8'));

  const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1)]));
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  for (const name of ['script-src', 'style-src', 'connect-src', 'img-src']) assert.deepEqual(directives.get(name), ["'self'"], name);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-|\*|https?:|data:/);
}));

test('every file of the dashboard is served with its media type, and a name it does not have is a 404 problem', checkingConformance(async () => {
  const names = (await readdir(PUBLIC)).filter((name) => name !== 'index.html');
  const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
  for (const name of names) {
    const res = await api.request('GET', `/dashboard/${name}`);
    assert.equal(res.status, 200, name);
    assert.equal(res.headers['content-type'], types[name.split('.').pop()!], name);
    assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY, name);
  }
  for (const missing of ['nope.js', 'index.html', '..%2Fserver.ts', 'app.js/x']) {
    const res = await api.request('GET', `/dashboard/${missing}`);
    assert.equal(res.status, 404, missing);
    assert.equal(res.headers['content-type'], 'application/problem+json', missing);
  }
  assert.equal((await api.request('POST', '/dashboard')).status, 405);
}));

test('the page\'s files load nothing from elsewhere and hold no inline script, style or handler: the CSP would refuse it', async () => {
  for (const name of await readdir(PUBLIC)) {
    const text = await readFile(new URL(name, PUBLIC), 'utf8');
    const urls = [...text.matchAll(/https?:\/\/[^\s'"`)]+/g)].map((match) => match[0]).filter((url) => url !== 'http://www.w3.org/2000/svg');
    assert.deepEqual(urls, [], `${name} names another origin`);
    if (name.endsWith('.html')) {
      assert.doesNotMatch(text, /<script(?![^>]*\bsrc=)/, 'an inline script');
      assert.doesNotMatch(text, /<style|\sstyle=|\son[a-z]+=/, 'inline style or handler');
    }
    if (name.endsWith('.js')) assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/, `${name} builds markup from text`);
  }
});
