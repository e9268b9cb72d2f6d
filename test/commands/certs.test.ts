import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import CheckExpiration from '../../src/commands/certs/check-expiration.js';
import Renew from '../../src/commands/certs/renew.js';
import type { ExpirationReport, RenewResult } from '../../src/certs/index.js';
import { runCommand } from '../helpers/run-command.js';
import { DAY, openssl, renderAssets, shapeText } from '../certs/support.js';

const HOUR = 60 * 60 * 1000;
let work: string;
/** Asset dirs rendered so that, on the real clock now, their leaves have this much left. */
const dirs: Record<'d29' | 'd31' | 'today' | 'expired', string> = {
  d29: '',
  d31: '',
  today: '',
  expired: '',
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'certs-cmd-'));
  const leavesLeft = { d29: 29 * DAY + HOUR, d31: 31 * DAY + HOUR, today: 5 * HOUR, expired: -DAY } as const;
  await Promise.all(
    Object.entries(leavesLeft).map(async ([name, left]) => {
      dirs[name as keyof typeof dirs] = join(work, name);
      await renderAssets(join(work, name), new Date(Date.now() - 365 * DAY + left));
    }),
  );
});
after(() => rm(work, { recursive: true, force: true }));

/** Exit 2, nothing on stdout, exactly one line on stderr matching `pattern`. */
function assertBadInput(r: { exitCode: number; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(r.exitCode, 2, `exit code; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

describe('bootkube certs check-expiration', () => {
  it('prints an aligned table with subject, expiry, remaining time and status, then warnings in words', async () => {
    const r = await runCommand(CheckExpiration, ['--asset-dir', dirs.d29]);
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, /^NAME +SUBJECT +EXPIRES +REMAINING +STATUS$/);
    const col = (header: string) => lines[0]!.indexOf(header);
    const row = lines.find((l) => l.startsWith('apiserver '))!;
    assert.equal(row.slice(col('SUBJECT')).split('  ')[0], 'CN=kube-apiserver');
    assert.match(row.slice(col('EXPIRES')), /^\d{4}-\d\d-\d\d \d\d:\d\d UTC +29d 0h +expires soon$/);
    assert.match(lines.find((l) => l.startsWith('ca '))!.slice(col('STATUS')), /^ok$/);
    assert.match(
      r.stdout,
      /^23 embedded copies \(auth\/ kubeconfigs, manifests\/ Secrets\) are identical to their tls\/ files/m,
    );
    assert.match(
      r.stdout,
      /^Warning: apiserver \(tls\/apiserver\.crt\) expires in 29 days, on .* UTC \(under 30 days\)\. Renew it with: bootkube certs renew apiserver --asset-dir /m,
    );
    assert.match(r.stdout, /^No certificate has expired\.$/m);
  });

  it('exits 1 with --fail-within 30d when 29 days are left, as openssl -checkend agrees; 0 with 31 days left', async () => {
    const r29 = await runCommand(CheckExpiration, [
      '--asset-dir',
      dirs.d29,
      '--fail-within',
      '30d',
      '--json',
    ]);
    assert.equal(r29.exitCode, 1);
    const report = JSON.parse(r29.stdout) as ExpirationReport;
    assert.ok(report.failing.includes('apiserver') && !report.failing.includes('ca'), report.failing.join());
    assert.deepEqual(report.failWithin, { text: '30d', seconds: 30 * 86400 });
    const apiserver = report.certificates.find((c) => c.name === 'apiserver')!;
    assert.equal(apiserver.expiry.state, 'warning');
    assert.equal(apiserver.expiry.remaining.days, 29);
    const checkend = (dir: string) =>
      spawnSync('openssl', [
        'x509',
        '-checkend',
        String(30 * 86400),
        '-noout',
        '-in',
        join(dir, 'tls/apiserver.crt'),
      ]).status;
    assert.equal(checkend(dirs.d29), 1, 'openssl: will expire within 30 days');

    const r31 = await runCommand(CheckExpiration, ['--asset-dir', dirs.d31, '--fail-within', '30d']);
    assert.equal(r31.exitCode, 0, r31.stdout);
    assert.equal(checkend(dirs.d31), 0, 'openssl: will not expire within 30 days');
    assert.doesNotMatch(r31.stdout, /Warning/);
    assert.match(r31.stdout, /^No certificate expires within 30d\.$/m);
  });

  it('exits 0 by default while nothing has expired, and 1 once something has', async () => {
    assert.equal((await runCommand(CheckExpiration, ['--asset-dir', dirs.d29])).exitCode, 0);
    const today = await runCommand(CheckExpiration, ['--asset-dir', dirs.today]);
    assert.equal(today.exitCode, 0);
    assert.match(today.stdout, /^apiserver .* 0d 4h +EXPIRES TODAY$/m);
    assert.match(today.stdout, /^Warning: apiserver \(tls\/apiserver\.crt\) expires today, at /m);
    assert.equal(
      (await runCommand(CheckExpiration, ['--asset-dir', dirs.today, '--fail-within', '12h'])).exitCode,
      1,
    );
    assert.equal(
      (await runCommand(CheckExpiration, ['--asset-dir', dirs.today, '--fail-within', '1h'])).exitCode,
      0,
    );

    const expired = await runCommand(CheckExpiration, ['--asset-dir', dirs.expired]);
    assert.equal(expired.exitCode, 1);
    assert.match(expired.stdout, /^apiserver .* 1d 0h ago +EXPIRED$/m);
    assert.match(expired.stdout, /^10 certificates have expired \(--fail-within 0\): admin, apiserver, /m);
    assert.equal(expired.stderr, '');
  });

  it('refuses bad input with exit 2 and one line', async () => {
    assertBadInput(await runCommand(CheckExpiration, []), /^Error: Missing required flag --asset-dir/);
    assertBadInput(
      await runCommand(CheckExpiration, ['--asset-dir', dirs.d29, '--fail-within', '30']),
      /^Error: --fail-within "30": not a duration: give a unit, e\.g\. 30d, 12h or 5m$/,
    );
    assertBadInput(
      await runCommand(CheckExpiration, ['--asset-dir', dirs.d29, '--fail-within', 'soon']),
      /^Error: --fail-within "soon": not a duration/,
    );
    assertBadInput(
      await runCommand(CheckExpiration, ['--asset-dir', join(work, 'nope')]),
      /^Error: --asset-dir .*nope: does not exist: give the dir `bootkube render` wrote$/,
    );
    await mkdir(join(work, 'empty'));
    assertBadInput(
      await runCommand(CheckExpiration, ['--asset-dir', join(work, 'empty')]),
      /^Error: --asset-dir .*empty: holds no certificates under tls\//,
    );
    assertBadInput(
      await runCommand(CheckExpiration, ['--asset-dir', dirs.d29, '--kubeconfig', 'x']),
      /^Error: .*--kubeconfig/,
    );
    const json = await runCommand(CheckExpiration, ['--asset-dir', join(work, 'nope'), '--json']);
    assert.equal(json.exitCode, 2);
    assert.equal(JSON.parse(json.stdout).error.code, 'CERTS_ASSET_DIR_INVALID');
  });

  it('says in --help how to check a running cluster (--kubeconfig)', () => {
    assert.match(CheckExpiration.description!, /With --kubeconfig: the same table for a running cluster/);
    assert.ok('kubeconfig' in CheckExpiration.flags, 'no --kubeconfig flag');
    assert.match(
      Renew.description!,
      /With --kubeconfig, the renewed certificates are then installed in the running cluster/,
    );
    assert.ok('kubeconfig' in Renew.flags, 'no --kubeconfig flag on renew');
  });

  it('refuses a kubeconfig that is missing or names no cluster, with exit 2 and one line', async () => {
    assertBadInput(
      await runCommand(CheckExpiration, ['--kubeconfig', join(work, 'nope.yaml')]),
      /^Error: --kubeconfig .*nope\.yaml: no such file: give the cluster's admin kubeconfig/,
    );
    await writeFile(join(work, 'empty.kubeconfig'), 'apiVersion: v1\nkind: Config\n');
    assertBadInput(
      await runCommand(CheckExpiration, ['--kubeconfig', join(work, 'empty.kubeconfig')]),
      /^Error: --kubeconfig .*empty\.kubeconfig: has no current cluster with a server/,
    );
  });
});

describe('bootkube certs renew', () => {
  let dir: string;
  before(async () => {
    dir = join(work, 'renew');
    await cp(dirs.d29, dir, { recursive: true });
  });

  it('renews the named certificate and reports it; check-expiration then sees it renewed', async () => {
    const shape = shapeText(join(dir, 'tls/apiserver.crt'));
    const r = await runCommand(Renew, ['apiserver', '--asset-dir', dir]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^Renewed 1 certificate in .* \(subjects, SANs and usages kept; keys kept\):$/m);
    assert.match(r.stdout, /^NAME +SUBJECT +OLD EXPIRY +NEW EXPIRY$/m);
    assert.match(r.stdout, /^Updated 1 embedded copy in manifests\/kube-apiserver-secret\.yaml\.$/m);
    assert.equal(shapeText(join(dir, 'tls/apiserver.crt')), shape);
    const check = await runCommand(CheckExpiration, ['--asset-dir', dir, '--json']);
    const report = JSON.parse(check.stdout) as ExpirationReport;
    assert.equal(report.certificates.find((c) => c.name === 'apiserver')!.expiry.state, 'ok');
    assert.equal(report.certificates.find((c) => c.name === 'admin')!.expiry.state, 'warning');
    assert.ok(
      report.certificates.every((c) => !c.differs),
      'no copy differs',
    );
  });

  it('renews every leaf with --all --json, a typed result', async () => {
    const r = await runCommand(Renew, ['--all', '--asset-dir', dir, '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const result = JSON.parse(r.stdout) as RenewResult;
    assert.equal(result.renewed.length, 10);
    for (const x of result.renewed) {
      assert.equal(x.isCa, false, x.name);
      assert.equal(x.reason, 'all', x.name);
      // apiserver was renewed by the test before, possibly within the same second.
      if (x.name !== 'apiserver')
        assert.ok(Date.parse(x.notAfter) > Date.parse(x.notAfterBefore), `${x.name} notAfter moved`);
    }
    assert.ok(result.filesChanged.includes('auth/kubeconfig'), result.filesChanged.join());
    const fresh = await runCommand(CheckExpiration, ['--asset-dir', dir, '--fail-within', '300d']);
    assert.equal(fresh.exitCode, 0, fresh.stdout);
  });

  it('refuses a CA without --renew-ca in one line naming the flag, and renews it with it', async () => {
    const before = await readFile(join(dir, 'tls/ca.crt'), 'utf8');
    assertBadInput(
      await runCommand(Renew, ['ca', '--asset-dir', dir]),
      /^Error: ca is a certificate authority, and a CA is never renewed implicitly: to renew it and the 6 certificates it signed \(.*\), run: bootkube certs renew ca --renew-ca$/,
    );
    assert.equal(await readFile(join(dir, 'tls/ca.crt'), 'utf8'), before);
    const r = await runCommand(Renew, ['ca', '--renew-ca', '--asset-dir', dir]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      r.stdout,
      /^Renewed CA ca: every certificate it signed must be renewed with it, so these were too: admin, apiserver, apiserver-kubelet-client, kube-controller-manager, kube-scheduler, kubelet\.$/m,
    );
    for (const leaf of ['apiserver', 'admin', 'kubelet']) {
      assert.match(
        openssl('verify', '-CAfile', join(dir, 'tls/ca.crt'), join(dir, `tls/${leaf}.crt`)),
        /: OK/,
      );
    }
    const view = execFileSync(
      'kubectl',
      [
        'config',
        'view',
        '--raw',
        '--kubeconfig',
        join(dir, 'auth/kubeconfig'),
        '-o',
        'jsonpath={.clusters[0].cluster.certificate-authority-data}',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(
      Buffer.from(view, 'base64').toString('utf8'),
      await readFile(join(dir, 'tls/ca.crt'), 'utf8'),
    );
  });

  it('refuses bad input with exit 2 and one line, writing nothing', async () => {
    const before = await readdir(work);
    assertBadInput(
      await runCommand(Renew, ['--asset-dir', dir]),
      /^Error: name the certificates to renew, or pass --all: names: admin, /,
    );
    assertBadInput(
      await runCommand(Renew, ['apiserver', '--all', '--asset-dir', dir]),
      /^Error: give certificate names or --all, not both/,
    );
    assertBadInput(
      await runCommand(Renew, ['apiservr', '--asset-dir', dir]),
      /^Error: no certificate named "apiservr" in tls\/: names: /,
    );
    assertBadInput(
      await runCommand(Renew, ['--all', '--renew-ca', '--asset-dir', dir]),
      /^Error: --renew-ca renews only the CAs named with it/,
    );
    assertBadInput(await runCommand(Renew, ['apiserver']), /^Error: Missing required flag --asset-dir/);
    assertBadInput(
      await runCommand(Renew, ['apiserver', '--asset-dir', join(work, 'nope')]),
      /^Error: --asset-dir .*nope: does not exist/,
    );
    assert.deepEqual(await readdir(work), before);
  });
});
