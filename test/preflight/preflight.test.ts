// bootkube preflight on a prepared good node (a real etcd with the asset dir's TLS, the kubelet's
// files installed) and on bad ones: every check fails with its fix, nothing is written.
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Preflight from '../../src/commands/preflight.js';
import { runPreflight, type PreflightReport } from '../../src/preflight/index.js';
import { HOST_PATHS } from '../../src/render/constants.js';
import { runCommand } from '../helpers/run-command.js';
import { rehearsal, type RehearsalEnv } from '../bootstrap/support.js';

const status = (r: PreflightReport, name: string) => r.checks.find((c) => c.name === name)!;

describe('bootkube preflight', () => {
  let env: RehearsalEnv;
  before(async () => {
    env = await rehearsal();
    await env.cluster.stop();
    await cp(join(env.assetDir, 'kubelet'), join(env.nodeRoot, HOST_PATHS.kubeletDir), { recursive: true });
  });
  after(async () => {
    await env?.stop();
  });

  it('passes on a prepared master, and writes nothing', async () => {
    const before = await readdir(env.nodeRoot, { recursive: true });
    const r = await runPreflight({ assetDir: env.assetDir, rootDir: env.nodeRoot });
    const failed = r.checks.filter((c) => c.status === 'error');
    assert.deepEqual(failed, [], 'errors on a good node');
    assert.equal(r.ok, true);
    assert.equal(r.apiPort, 'free');
    assert.deepEqual(await readdir(env.nodeRoot, { recursive: true }), before, 'preflight wrote something');
  });

  it('fails each node check with its fix: kubelet files missing, lock dir blocked, API port held', async () => {
    const bad = join(env.workDir, 'bad-node');
    await mkdir(join(bad, 'var/lock'), { recursive: true });
    await writeFile(join(bad, 'var/lock/bootkube'), 'a file where the lock dir goes');
    const squatter = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => squatter.listen(Number(env.apiServer.port), '127.0.0.1', resolve));
    try {
      const r = await runPreflight({ assetDir: env.assetDir, rootDir: bad });
      assert.match(status(r, 'kubelet-kubeconfig').message, /etc\/kubernetes\/kubeconfig is missing/);
      assert.match(status(r, 'kubelet-kubeconfig').fix!, /install the asset dir's auth\/kubeconfig-kubelet/);
      assert.match(status(r, 'kubelet-config').message, /kubelet\/config\.yaml is missing/);
      assert.match(status(r, 'lock-dir').message, /var\/lock\/bootkube is not a directory/);
      assert.equal(status(r, 'api-port').status, 'error');
      assert.match(status(r, 'api-port').fix!, /ss -ltnp/);
      assert.equal(r.apiPort, 'held');
      assert.equal(r.ok, false);
    } finally {
      squatter.close();
    }
  });

  it('a clock before the CA was made, a certificate near its end, flock missing from PATH', async () => {
    const early = await runPreflight({
      assetDir: env.assetDir,
      rootDir: env.nodeRoot,
      now: new Date(Date.now() - 3600_000),
    });
    assert.equal(status(early, 'clock').status, 'error');
    assert.match(status(early, 'clock').fix!, /set the clock/);
    const late = await runPreflight({
      assetDir: env.assetDir,
      rootDir: env.nodeRoot,
      now: new Date(Date.now() + 340 * 24 * 3600_000),
    });
    assert.equal(
      status(late, 'certificates').status,
      'warning',
      JSON.stringify(status(late, 'certificates')),
    );
    assert.match(status(late, 'certificates').fix!, /^bootkube certs renew /);
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const r = await runPreflight({ assetDir: env.assetDir, rootDir: env.nodeRoot });
      assert.equal(status(r, 'binaries').status, 'error');
      assert.match(status(r, 'binaries').message, /not installed: flock/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('the command: a table, exit 1 on an error, exit 0 when that error is ignored, exit 2 for an unknown check', async () => {
    const wrongEtcd = [
      '--etcd-servers',
      'https://127.0.0.1:1',
      '--etcd-ca-path',
      join(env.assetDir, 'tls/etcd/ca.crt'),
    ];
    const failing = await runCommand(Preflight, [
      '--asset-dir',
      env.assetDir,
      '--root-dir',
      env.nodeRoot,
      ...wrongEtcd,
    ]);
    assert.equal(failing.exitCode, 1, failing.stderr);
    assert.match(failing.stdout, /^etcd\s+error\s+https:\/\/127\.0\.0\.1:1 does not answer/m);
    assert.match(failing.stdout, /To fix:\n(.*\n)*\s+etcd: start etcd/);
    const ignored = await runCommand(Preflight, [
      '--asset-dir',
      env.assetDir,
      '--root-dir',
      env.nodeRoot,
      ...wrongEtcd,
      '--ignore-preflight-errors=etcd',
      '--json',
    ]);
    assert.equal(ignored.exitCode, 0, ignored.stderr);
    assert.equal(
      JSON.parse(ignored.stdout).checks.find((c: { name: string }) => c.name === 'etcd').ignored,
      true,
    );
    const unknown = await runCommand(Preflight, [
      '--asset-dir',
      env.assetDir,
      '--ignore-preflight-errors=etcd,nope',
    ]);
    assert.equal(unknown.exitCode, 2);
    assert.match(
      unknown.stderr,
      /^Error: --ignore-preflight-errors: no check named "nope": the checks are asset-dir, /,
    );
  });
});
