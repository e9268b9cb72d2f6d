// `bootkube start --simulate` as an operator runs it, against an etcd the operator gives: the
// rehearsal renders for that etcd, starts no etcd of its own, and leaves the control plane's
// objects in it as kube-apiserver would.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Start from '../../src/commands/start.js';
import { loadClusterConfig } from '../../src/config/index.js';
import { render } from '../../src/render/render.js';
import { startEtcd, type EtcdHandle } from '../helpers/etcd.js';
import { runCommand } from '../helpers/run-command.js';

describe('start --simulate against a given etcd', () => {
  let etcd: EtcdHandle;
  let dir: string;
  before(async () => {
    etcd = await startEtcd();
    dir = await mkdtemp(join(tmpdir(), 'start-simulate-'));
  });
  after(async () => {
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('rehearses on it and leaves the objects there, as kube-apiserver keeps them', async () => {
    const r = await runCommand(Start, ['--simulate', '--json', '--etcd-servers', etcd.endpoint]);
    assert.equal(r.exitCode, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.rehearsal.store, etcd.endpoint);
    assert.equal(summary.rehearsal.etcdStartMs, undefined, 'a private etcd was started');
    const keys = spawnSync(
      'etcdctl',
      ['--endpoints', etcd.endpoint, 'get', '--prefix', '--keys-only', '/registry/daemonsets/kube-system/'],
      { encoding: 'utf8' },
    );
    assert.equal(keys.status, 0, keys.stderr);
    assert.match(keys.stdout, /\/registry\/daemonsets\/kube-system\/kube-apiserver\n/);
  });

  it('refuses an asset dir whose apiservers use another etcd: exit 2, nothing started', async () => {
    const assetDir = join(dir, 'assets');
    const config = await loadClusterConfig({
      flags: {
        'api-servers': 'https://127.0.0.1:6443',
        'etcd-servers': 'https://127.0.0.1:2379',
        'key-type': 'ecdsa-p256',
      },
      bootkubeVersion: '0.1.0',
    });
    await render({ config, assetDir, force: true });
    const r = await runCommand(Start, [
      '--simulate',
      '--asset-dir',
      assetDir,
      '--etcd-servers',
      etcd.endpoint,
    ]);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(
      r.stderr,
      /^Error: --simulate: the asset dir's apiservers use etcd https:\/\/127\.0\.0\.1:2379, not --etcd-servers http:\/\/127\.0\.0\.1:\d+: render the asset dir for that etcd, or leave out --asset-dir\n$/,
    );
  });
});
