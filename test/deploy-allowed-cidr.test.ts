import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../lib/errors.ts';
import { parseAllowedCidr, readAllowedCidrSettings, resolveAllowedCidr } from '../ops/ec2/allowed-cidr.ts';

/** Who may reach the api (and SSH on EC2): ALLOWED_CIDR, checked before deploy-ec2 or deploy-ecs makes anything. */

const DEFAULT_LIMIT = { minPrefix: 16, allowWide: false };
const refused = (value: string, message: RegExp, limit = DEFAULT_LIMIT) =>
  assert.throws(() => parseAllowedCidr(value, limit), (err: unknown) => err instanceof ConfigError && message.test(err.message), value);

test('ALLOWED_CIDR is refused unless it is an IPv4 network that is not the whole internet', () => {
  assert.equal(parseAllowedCidr('203.0.113.7/32', DEFAULT_LIMIT), '203.0.113.7/32');
  assert.equal(parseAllowedCidr(' 10.1.0.0/16 ', DEFAULT_LIMIT), '10.1.0.0/16');
  refused('300.1.2.3/32', /not an IPv4 CIDR/);
  refused('203.0.113.7', /not an IPv4 CIDR/);
  refused('10.0.0.0/33', /not an IPv4 CIDR/);
  refused('010.0.0.0/8', /not an IPv4 CIDR/);
  refused('my-laptop', /not an IPv4 CIDR/);
  refused('2001:db8::/32', /not an IPv4 CIDR/);
  refused('10.1.2.3/24', /host bits set: did you mean 10\.1\.2\.0\/24, or 10\.1\.2\.3\/32/);
  refused('0.0.0.0/0', /whole internet/);
  refused('0.0.0.0/0', /whole internet/, { minPrefix: 16, allowWide: true });
});

test('a range wider than ALLOWED_CIDR_MIN_PREFIX is refused, saying how many addresses and how to force it', () => {
  refused('0.0.0.0/1', /ALLOWED_CIDR=0\.0\.0\.0\/1 is wider than \/16 \(ALLOWED_CIDR_MIN_PREFIX\), 2,147,483,648 addresses: narrow it, .* or set ALLOW_WIDE_CIDR=1/);
  refused('10.0.0.0/15', /wider than \/16/);
  refused('10.1.2.0/24', /wider than \/28/, { minPrefix: 28, allowWide: false });
  assert.equal(parseAllowedCidr('10.1.2.0/28', { minPrefix: 28, allowWide: false }), '10.1.2.0/28');
  assert.equal(parseAllowedCidr('0.0.0.0/1', { minPrefix: 16, allowWide: true }), '0.0.0.0/1');
  assert.equal(parseAllowedCidr('10.0.0.0/8', { minPrefix: 16, allowWide: true }), '10.0.0.0/8');
});

test('the settings: defaults /16 and not forced; bad values are named', () => {
  assert.deepEqual(readAllowedCidrSettings({}), { allowedCidr: undefined, minPrefix: 16, allowWide: false });
  assert.deepEqual(readAllowedCidrSettings({ ALLOWED_CIDR: ' 10.0.0.0/8 ', ALLOWED_CIDR_MIN_PREFIX: '8', ALLOW_WIDE_CIDR: '1' }), { allowedCidr: '10.0.0.0/8', minPrefix: 8, allowWide: true });
  assert.throws(() => readAllowedCidrSettings({ ALLOWED_CIDR_MIN_PREFIX: '0', ALLOW_WIDE_CIDR: 'yes' }), (err: unknown) =>
    err instanceof ConfigError && /ALLOWED_CIDR_MIN_PREFIX must be an integer from 1 to 32/.test(err.message) && /ALLOW_WIDE_CIDR must be true or false/.test(err.message));
});

test('without ALLOWED_CIDR the caller\'s address from checkip is allowed, and a failed lookup says to set ALLOWED_CIDR', async () => {
  const settings = readAllowedCidrSettings({});
  assert.deepEqual(await resolveAllowedCidr(settings, async () => '198.51.100.4\n'), { cidr: '198.51.100.4/32', source: 'your address, from https://checkip.amazonaws.com' });
  assert.equal((await resolveAllowedCidr({ ...settings, allowedCidr: '192.0.2.0/24' }, () => assert.fail('not asked'))).cidr, '192.0.2.0/24');
  await assert.rejects(resolveAllowedCidr({ ...settings, allowedCidr: '0.0.0.0/1' }, () => assert.fail('not asked')), /wider than \/16/);
  await assert.rejects(resolveAllowedCidr(settings, async () => { throw new Error('getaddrinfo ENOTFOUND checkip.amazonaws.com'); }), (err: unknown) =>
    err instanceof ConfigError && /ENOTFOUND/.test(err.message) && /set ALLOWED_CIDR/.test(err.message));
  await assert.rejects(resolveAllowedCidr(settings, async () => '<html>captive portal</html>'), (err: unknown) => err instanceof ConfigError && /set ALLOWED_CIDR/.test(err.message));
});
