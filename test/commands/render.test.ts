import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import Render from '../../src/commands/render.js';
import { runCommand } from '../helpers/run-command.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'render-cmd-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory()) out.push(...(await walk(join(dir, e.name), rel)));
  }
  return out;
}

const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('bootkube render (default settings)', () => {
  let assets: string;
  let json: { assetDir: string; files: Array<{ path: string; mode: string }>; certificates: Array<Record<string, unknown>> };

  before(async () => {
    assets = join(work, 'default');
    const r = await runCommand(Render, [
      '--asset-dir', assets, '--node-name', 'master-0', '--key-type', 'ecdsa-p256',
      '--api-servers', 'https://10.0.0.10:6443,https://api.example.com:6443', '--api-server-alt-names', 'DNS=lb.example.com,IP=192.0.2.7', '--json',
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    json = JSON.parse(r.stdout);
  });

  it('writes the asset tree with the documented layout', async () => {
    const paths = new Set(await walk(assets));
    for (const p of [
      'tls/ca.crt', 'tls/ca.key', 'tls/apiserver.crt', 'tls/admin.crt', 'tls/kubelet.crt', 'tls/service-account.pub',
      'tls/front-proxy-ca.crt', 'tls/etcd/ca.crt', 'tls/etcd/server.crt', 'tls/apiserver-etcd-client.crt',
      'auth/kubeconfig', 'auth/kubeconfig-kubelet', 'kubelet/config.yaml', 'kubelet/kubelet.service',
      'bootstrap-manifests/bootstrap-apiserver.yaml', 'manifests/kube-apiserver.yaml',
    ]) {
      assert.ok(paths.has(p), `missing ${p}`);
    }
    const onDisk: string[] = [];
    for (const p of paths) if ((await stat(join(assets, p))).isFile()) onDisk.push(p);
    assert.deepEqual(json.files.map((f) => f.path).sort(), onDisk.sort(), '--json lists exactly the files written');
  });

  it('gives keys and kubeconfigs 0600, directories 0700 and everything else 0644', async () => {
    for (const rel of await walk(assets)) {
      const st = await stat(join(assets, rel));
      const mode = st.mode & 0o777;
      if (st.isDirectory()) assert.equal(mode, 0o700, rel);
      else if (/\.key$|^auth\//.test(rel) || rel.endsWith('-secret.yaml')) assert.equal(mode, 0o600, rel);
      else if (/\.(crt|pub)$/.test(rel) || rel.startsWith('manifests/') || rel.startsWith('bootstrap-manifests/') || rel.startsWith('kubelet/')) {
        assert.ok(mode === 0o644 || mode === 0o600, `${rel} has ${mode.toString(8)}`);
      }
    }
    assert.equal((await stat(assets)).mode & 0o777, 0o700);
    for (const f of json.files) {
      const mode = (await stat(join(assets, f.path))).mode & 0o777;
      assert.equal(`0${mode.toString(8)}`, f.mode, `${f.path}: --json says ${f.mode}`);
      if (/\.key$|^auth\//.test(f.path)) assert.equal(f.mode, '0600', f.path);
    }
  });

  it('issues certificates that openssl verifies, with the SANs clients use', async () => {
    const tls = join(assets, 'tls');
    for (const [leaf, ca, purpose] of [
      ['apiserver.crt', 'ca.crt', 'sslserver'], ['admin.crt', 'ca.crt', 'sslclient'], ['kubelet.crt', 'ca.crt', 'sslclient'],
      ['front-proxy-client.crt', 'front-proxy-ca.crt', 'sslclient'], ['etcd/server.crt', 'etcd/ca.crt', 'sslserver'],
      ['apiserver-etcd-client.crt', 'etcd/ca.crt', 'sslclient'],
    ] as const) {
      assert.match(openssl('verify', '-purpose', purpose, '-CAfile', join(tls, ca), join(tls, leaf)), /: OK/, leaf);
    }
    const text = openssl('x509', '-noout', '-ext', 'subjectAltName', '-in', join(tls, 'apiserver.crt'));
    for (const san of ['IP Address:10.0.0.10', 'DNS:api.example.com', 'DNS:lb.example.com', 'IP Address:192.0.2.7', 'IP Address:10.3.0.1',
      'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local', 'DNS:localhost', 'IP Address:127.0.0.1']) {
      assert.ok(text.includes(san), `apiserver SANs lack ${san}: ${text}`);
    }
    const kubelet = openssl('x509', '-noout', '-subject', '-in', join(tls, 'kubelet.crt'));
    assert.match(kubelet, /O ?= ?system:nodes, CN ?= ?system:node:master-0/);
    assert.match(openssl('x509', '-noout', '-subject', '-in', join(tls, 'admin.crt')), /O ?= ?system:masters/);
  });

  it('reports every certificate in --json with subject, fingerprint and expiry', () => {
    const names = json.certificates.map((c) => c.name);
    assert.ok(names.includes('apiserver') && names.includes('ca') && names.includes('etcd/server'), names.join());
    for (const c of json.certificates) {
      assert.match(String(c.sha256Fingerprint), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.ok(!Number.isNaN(Date.parse(String(c.notAfter))), `${c.name} notAfter`);
      assert.ok(String(c.subject).includes('CN='), `${c.name} subject`);
    }
  });

  it('writes kubeconfigs that @kubernetes/client-node and kubectl load, with a named current context', async () => {
    for (const name of ['kubeconfig', 'kubeconfig-kubelet']) {
      const path = join(assets, 'auth', name);
      const kc = new KubeConfig();
      kc.loadFromFile(path);
      assert.ok(kc.getCurrentContext(), `${name}: current-context`);
      assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.10:6443');
      assert.ok(kc.getCurrentUser()?.certData, `${name}: client certificate`);
      const view = JSON.parse(execFileSync('kubectl', ['config', 'view', '--kubeconfig', path, '-o', 'json'], { encoding: 'utf8' }));
      assert.equal(view['current-context'], kc.getCurrentContext());
    }
  });

  it('writes manifests that all parse with apiVersion, kind and metadata.name', async () => {
    for (const dir of ['manifests', 'bootstrap-manifests']) {
      for (const name of await readdir(join(assets, dir))) {
        for (const doc of parseAllDocuments(await readFile(join(assets, dir, name), 'utf8'))) {
          assert.equal(doc.errors.length, 0, `${dir}/${name}`);
          const obj = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
          assert.ok(obj.apiVersion && obj.kind && obj.metadata?.name, `${dir}/${name}`);
        }
      }
    }
  });
});

describe('bootkube render: refusals leave nothing behind', () => {
  async function expectRefused(argv: string[], pattern: RegExp, dir: string): Promise<void> {
    const before = await readdir(work);
    const r = await runCommand(Render, argv);
    assert.equal(r.exitCode, 2, `exit code; stderr: ${r.stderr}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0]!, pattern);
    assert.deepEqual(await readdir(work), before, 'nothing written beside the asset dir');
    await assert.rejects(stat(dir), 'no asset dir');
  }

  it('refuses a bad CIDR', () => expectRefused(['--asset-dir', join(work, 'a1'), '--pod-cidr', '10.2.0.0/40'], /^Error: --pod-cidr: .*not a CIDR/, join(work, 'a1')));
  it('refuses an unknown flag', () => expectRefused(['--asset-dir', join(work, 'a2'), '--pod-cidrs', 'x'], /^Error: .*--pod-cidrs/, join(work, 'a2')));
  it('refuses a missing --asset-dir', () => expectRefused([], /^Error: .*--asset-dir/, join(work, 'none')));
  it('refuses a CA file that does not exist', () =>
    expectRefused(['--asset-dir', join(work, 'a3'), '--ca-certificate-path', join(work, 'nope.crt'), '--ca-private-key-path', join(work, 'nope.key')],
      /^Error: --ca-certificate-path .*nope\.crt: cannot read it \(no such file\)/, join(work, 'a3')));

  it('refuses a CA file that is not PEM, naming the flag', async () => {
    const garbage = join(work, '..', `garbage-${process.pid}.crt`);
    await writeFile(garbage, 'hello\n');
    try {
      await expectRefused(['--asset-dir', join(work, 'a4'), '--ca-certificate-path', garbage, '--ca-private-key-path', garbage],
        /^Error: .*--ca-certificate-path.*PEM/i, join(work, 'a4'));
    } finally {
      await rm(garbage, { force: true });
    }
  });

  it('refuses a non-empty asset dir without --force, and leaves it untouched', async () => {
    const dir = join(work, 'occupied');
    await mkdir(dir);
    await writeFile(join(dir, 'keep.txt'), 'mine');
    const r = await runCommand(Render, ['--asset-dir', dir]);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^Error: --asset-dir .*occupied: exists and is not empty: .*--force/);
    assert.deepEqual(await readdir(dir), ['keep.txt']);
  });

  it('replaces a non-empty asset dir with --force', async () => {
    const dir = join(work, 'replace');
    await mkdir(dir);
    await writeFile(join(dir, 'old.txt'), 'old');
    const r = await runCommand(Render, ['--asset-dir', dir, '--force', '--key-type', 'ecdsa-p256', '--network-provider', 'none']);
    assert.equal(r.exitCode, 0, r.stderr);
    const entries = await readdir(dir);
    assert.ok(!entries.includes('old.txt') && entries.includes('tls'));
    assert.deepEqual((await readdir(work)).filter((n) => n.startsWith('.')), [], 'no staging leftovers');
  });
});

describe('bootkube render with your own CA', () => {
  it('signs every cluster leaf with it and copies it verbatim', async () => {
    const dir = join(work, 'byo');
    await mkdir(dir);
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=corp-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'));
    const assets = join(dir, 'assets');
    const r = await runCommand(Render, ['--asset-dir', assets, '--ca-certificate-path', join(dir, 'ca.crt'), '--ca-private-key-path', join(dir, 'ca.key'), '--key-type', 'ecdsa-p256']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(await readFile(join(assets, 'tls/ca.crt'), 'utf8'), await readFile(join(dir, 'ca.crt'), 'utf8'));
    for (const leaf of ['apiserver.crt', 'admin.crt', 'kubelet.crt', 'kube-scheduler.crt']) {
      assert.match(openssl('verify', '-CAfile', join(dir, 'ca.crt'), join(assets, 'tls', leaf)), /: OK/, leaf);
      assert.match(openssl('x509', '-noout', '-issuer', '-in', join(assets, 'tls', leaf)), /CN ?= ?corp-ca/);
    }
    // The leaves never outlive the CA that signed them.
    const caEnd = Date.parse(openssl('x509', '-noout', '-enddate', '-in', join(dir, 'ca.crt')).split('=')[1]!);
    const leafEnd = Date.parse(openssl('x509', '-noout', '-enddate', '-in', join(assets, 'tls/apiserver.crt')).split('=')[1]!);
    assert.ok(leafEnd <= caEnd, 'leaf expiry within the CA');
  });

  it('refuses a CA whose key does not match, writing nothing', async () => {
    const dir = join(work, 'byo-mismatch');
    await mkdir(dir);
    for (const name of ['a', 'b']) {
      openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', `/CN=${name}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`));
    }
    const r = await runCommand(Render, ['--asset-dir', join(dir, 'assets'), '--ca-certificate-path', join(dir, 'a.crt'), '--ca-private-key-path', join(dir, 'b.key')]);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^Error: --ca-private-key-path.*does not match/);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    await assert.rejects(stat(join(dir, 'assets')));
  });
});

describe('bootkube render --print-defaults', () => {
  it('prints a config file that --config accepts', async () => {
    const printed = await runCommand(Render, ['--print-defaults']);
    assert.equal(printed.exitCode, 0, printed.stderr);
    assert.match(printed.stdout, /^apiVersion: bootkube\.dev\/v1alpha1$/m);
    const file = join(work, 'cluster.yaml');
    await writeFile(file, printed.stdout.replace('provider: flannel', 'provider: calico'));
    const r = await runCommand(Render, ['--asset-dir', join(work, 'fromfile'), '--config', file, '--key-type', 'ecdsa-p256', '--json']);
    assert.equal(r.exitCode, 0, r.stdout);
    const files = (JSON.parse(r.stdout) as { files: Array<{ path: string }> }).files.map((f) => f.path);
    assert.ok(files.some((f) => /calico/.test(f)), 'the file chose calico');
  });
});
