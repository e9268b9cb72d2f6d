import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkExpiration, expiresWithin, expiry, parseDuration } from '../../src/certs/index.js';
import { DAY, renderAssets } from './support.js';

const HOUR = 60 * 60 * 1000;
// Rendered at a fixed instant: every leaf ends exactly 365 days later, every CA 3650 days later.
const T0 = new Date('2030-03-01T12:00:00Z');
const LEAF_END = new Date(T0.getTime() + 365 * DAY);

let work: string;
let assets: string;
let apiserver: X509Certificate;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'certs-expiry-'));
  assets = join(work, 'assets');
  await renderAssets(assets, T0);
  apiserver = new X509Certificate(await readFile(join(assets, 'tls/apiserver.crt')));
});
after(() => rm(work, { recursive: true, force: true }));

const at = (offsetMs: number) => new Date(LEAF_END.getTime() + offsetMs);

describe('expiry at the edges (injected clock)', () => {
  it('reads notAfter from the certificate', () => {
    assert.equal(expiry(apiserver, T0).notAfter, LEAF_END.toISOString().replace('.000Z', 'Z'));
  });

  it('is expired one second after notAfter, and says for how long', () => {
    assert.deepEqual(expiry(apiserver, at(1000)), {
      notAfter: '2031-03-01T12:00:00Z',
      remaining: { days: 0, hours: 0 },
      remainingSeconds: -1,
      state: 'expired',
    });
    const e = expiry(apiserver, at(3 * DAY + 2 * HOUR + 5000));
    assert.equal(e.state, 'expired');
    assert.deepEqual(e.remaining, { days: -3, hours: -2 });
  });

  it('is still valid (expires today) at the notAfter second itself, as X.509 has it', () => {
    const e = expiry(apiserver, at(0));
    assert.equal(e.state, 'expires-today');
    assert.equal(e.remainingSeconds, 0);
  });

  it('expires today with under 24 hours left', () => {
    assert.deepEqual(expiry(apiserver, at(-5 * HOUR)).remaining, { days: 0, hours: 5 });
    assert.equal(expiry(apiserver, at(-5 * HOUR)).state, 'expires-today');
    assert.equal(expiry(apiserver, at(-DAY + 1000)).state, 'expires-today');
    assert.equal(expiry(apiserver, at(-DAY)).state, 'warning');
  });

  it('warns with 29 days left, not with 31; 30 days exactly is the first day without a warning', () => {
    const d29 = expiry(apiserver, at(-29 * DAY));
    assert.equal(d29.state, 'warning');
    assert.deepEqual(d29.remaining, { days: 29, hours: 0 });
    const d31 = expiry(apiserver, at(-31 * DAY));
    assert.equal(d31.state, 'ok');
    assert.deepEqual(d31.remaining, { days: 31, hours: 0 });
    assert.equal(expiry(apiserver, at(-30 * DAY)).state, 'ok');
    assert.equal(expiry(apiserver, at(-30 * DAY + 1000)).state, 'warning');
  });

  it('takes descriptions (notAfter as text) as well as certificates', () => {
    assert.equal(expiry({ notAfter: LEAF_END.toISOString() }, at(-29 * DAY)).state, 'warning');
  });

  it('counts "expires within" strictly: expired always, 29 days within 30d, 31 days not', () => {
    assert.equal(expiresWithin(expiry(apiserver, at(1000)), 0), true);
    assert.equal(expiresWithin(expiry(apiserver, at(-5 * HOUR)), 0), false);
    assert.equal(expiresWithin(expiry(apiserver, at(-29 * DAY)), 30 * DAY), true);
    assert.equal(expiresWithin(expiry(apiserver, at(-31 * DAY)), 30 * DAY), false);
    assert.equal(expiresWithin(expiry(apiserver, at(-30 * DAY)), 30 * DAY), false);
  });
});

describe('--fail-within durations', () => {
  it('parses 0, days, hours, minutes and combinations', () => {
    assert.equal(parseDuration('0', '--fail-within'), 0);
    assert.equal(parseDuration('30d', '--fail-within'), 30 * DAY);
    assert.equal(parseDuration('12h', '--fail-within'), 12 * HOUR);
    assert.equal(parseDuration('1d12h', '--fail-within'), 36 * HOUR);
    assert.equal(parseDuration('90m', '--fail-within'), 90 * 60 * 1000);
  });

  for (const bad of ['30', '', 'abc', '-1d', '30 d', '1.5d', 'd']) {
    it(`refuses ${JSON.stringify(bad)} naming the flag`, () => {
      assert.throws(
        () => parseDuration(bad, '--fail-within'),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'BAD_DURATION');
          assert.match(e.message, /^--fail-within ".*": not a duration$/);
          return true;
        },
      );
    });
  }
});

describe('checkExpiration of a rendered asset dir', () => {
  it('with 29 days left fails --fail-within 30d for every leaf and no CA, warning about each', async () => {
    const r = await checkExpiration(assets, at(-29 * DAY), { text: '30d', ms: 30 * DAY });
    const leaves = r.certificates.filter((c) => c.source === 'tls' && !c.isCa).map((c) => c.name);
    assert.ok(leaves.includes('apiserver') && leaves.includes('etcd/server'), leaves.join());
    assert.deepEqual(
      r.failing,
      leaves,
      'every tls/ leaf fails, no CA; identical copies fail as their tls/ file',
    );
    for (const name of leaves)
      assert.ok(
        r.warnings.some((w) => w.startsWith(`${name} (tls/`) && w.includes('expires in 29 days')),
        name,
      );
    assert.ok(
      r.warnings.every((w) => !w.startsWith('auth/')),
      'identical copies are not warned about twice',
    );
  });

  it('with 31 days left fails nothing and warns about nothing', async () => {
    const r = await checkExpiration(assets, at(-31 * DAY), { text: '30d', ms: 30 * DAY });
    assert.deepEqual(r.failing, []);
    assert.deepEqual(r.warnings, []);
  });

  it('with the default --fail-within 0 fails only once expired', async () => {
    assert.deepEqual((await checkExpiration(assets, at(-1000))).failing, []);
    const expired = await checkExpiration(assets, at(1000));
    assert.ok(expired.failing.includes('apiserver'), expired.failing.join());
    assert.ok(
      expired.warnings.some((w) =>
        w.startsWith('apiserver (tls/apiserver.crt) expired on 2031-03-01 12:00 UTC'),
      ),
      expired.warnings.join('\n'),
    );
  });
});
