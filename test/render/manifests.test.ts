// renderAssetFiles and checkRenderedFiles: what `render` writes besides the PKI, checked the way
// its consumers read it (yaml, kubectl) against the rules of DESIGN.md §3, §4 and §6.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { RenderCheckError } from '../../src/render/check-errors.js';
import { checkRenderedFiles } from '../../src/render/checks.js';
import { API_SERVER_LOCK, HOST_PATHS, LOCKEXEC, POD_SECRETS_DIR } from '../../src/render/constants.js';
import { renderAssetFiles, type RenderedFile } from '../../src/render/manifests.js';
import { fixtureConfig } from './fixture-config.js';
import { fixturePem, fixtureTls } from './fixture-tls.js';
import { REPO_ROOT } from '../helpers/run-command.js';

// Manifests are read loosely typed, as a client would.
type Obj = any;

const render = (overrides = {}): RenderedFile[] =>
  renderAssetFiles(fixtureConfig(overrides), fixtureTls().read);
const docsOf = (file: RenderedFile | undefined): Obj[] => {
  assert.ok(file, 'file rendered');
  return parseAllDocuments(file.content).map((d) => d.toJS());
};
const byPath = (files: RenderedFile[], path: string): RenderedFile | undefined =>
  files.find((f) => f.path === path);
const doc = (files: RenderedFile[], path: string): Obj => docsOf(byPath(files, path))[0];
const allDocs = (files: RenderedFile[]): Obj[] =>
  files.filter((f) => /^(bootstrap-)?manifests\//.test(f.path)).flatMap((f) => docsOf(f));
const podSpecOf = (d: Obj): Obj => (d.kind === 'Pod' ? d.spec : d.spec.template.spec);
const containersOf = (d: Obj): Obj[] => [...(podSpecOf(d).initContainers ?? []), ...podSpecOf(d).containers];

const COMMON = [
  'auth/kubeconfig',
  'auth/kubeconfig-kubelet',
  'auth/kubeconfig-controller-manager',
  'auth/kubeconfig-scheduler',
  'kubelet/config.yaml',
  'kubelet/kubelet.env',
  'kubelet/kubelet.service',
  'bootstrap-manifests/bootstrap-apiserver.yaml',
  'bootstrap-manifests/bootstrap-controller-manager.yaml',
  'bootstrap-manifests/bootstrap-scheduler.yaml',
  ...[
    'kube-apiserver.yaml',
    'kube-apiserver-secret.yaml',
    'kube-apiserver-kubelet-client-role-binding.yaml',
    'kube-controller-manager.yaml',
    'kube-controller-manager-secret.yaml',
    'kube-controller-manager-disruption.yaml',
    'kube-scheduler.yaml',
    'kube-scheduler-secret.yaml',
    'kube-scheduler-disruption.yaml',
    'kube-proxy.yaml',
    'kube-proxy-config.yaml',
    'kube-proxy-sa.yaml',
    'kube-proxy-role-binding.yaml',
    'coredns-deployment.yaml',
    'coredns-config.yaml',
    'coredns-service.yaml',
    'coredns-sa.yaml',
    'coredns-cluster-role.yaml',
    'coredns-cluster-role-binding.yaml',
    'pod-checkpointer.yaml',
    'kubelet-bootstrap-role-bindings.yaml',
  ].map((f) => `manifests/${f}`),
];
const FLANNEL = [
  'flannel.yaml',
  'flannel-config.yaml',
  'flannel-sa.yaml',
  'flannel-cluster-role.yaml',
  'flannel-cluster-role-binding.yaml',
];
const CALICO = [
  'calico-crds.yaml',
  'calico-node.yaml',
  'calico-config.yaml',
  'calico-sa.yaml',
  'calico-cluster-role.yaml',
  'calico-cluster-role-binding.yaml',
];

describe('renderAssetFiles', () => {
  const files = render();

  it('renders the file list of each network provider', () => {
    assert.deepEqual(
      files.map((f) => f.path),
      [...COMMON, ...FLANNEL.map((f) => `manifests/${f}`)],
    );
    assert.deepEqual(
      render({ networkProvider: 'calico' }).map((f) => f.path),
      [...COMMON, ...CALICO.map((f) => `manifests/${f}`)],
    );
    assert.deepEqual(
      render({ networkProvider: 'none' }).map((f) => f.path),
      COMMON,
    );
  });

  it('writes kubeconfigs and Secrets 0600, everything else 0644', () => {
    for (const f of files) {
      const secret = f.path.startsWith('auth/') || f.path.endsWith('-secret.yaml');
      assert.equal(f.mode, secret ? 0o600 : 0o644, f.path);
    }
  });

  it("reads exactly the TLS files of src/pki's layout", () => {
    const withTls = fixtureTls();
    renderAssetFiles(fixtureConfig(), withTls.read);
    const base = [
      'ca.crt',
      'ca.key',
      'apiserver.crt',
      'apiserver.key',
      'apiserver-kubelet-client.crt',
      'apiserver-kubelet-client.key',
      'admin.crt',
      'admin.key',
      'kubelet.crt',
      'kubelet.key',
      'kube-controller-manager.crt',
      'kube-controller-manager.key',
      'kube-scheduler.crt',
      'kube-scheduler.key',
      'service-account.key',
      'service-account.pub',
      'front-proxy-ca.crt',
      'front-proxy-client.crt',
      'front-proxy-client.key',
    ].map((f) => `tls/${f}`);
    const etcd = ['tls/etcd/ca.crt', 'tls/apiserver-etcd-client.crt', 'tls/apiserver-etcd-client.key'];
    assert.deepEqual([...withTls.paths].sort(), [...base, ...etcd].sort());
    const plain = fixtureTls();
    const config = fixtureConfig({ etcd: { servers: [new URL('http://10.0.0.10:2379')], tls: false } });
    const out = renderAssetFiles(config, plain.read);
    assert.deepEqual([...plain.paths].sort(), [...base].sort());
    const flags = containersOf(doc(out, 'manifests/kube-apiserver.yaml'))[1].command as string[];
    assert.ok(!flags.some((f) => f.startsWith('--etcd-cafile')));
    assert.ok(flags.includes('--etcd-servers=http://10.0.0.10:2379'));
  });

  it('gives every manifest document an apiVersion, a kind and a name', () => {
    for (const f of files.filter((x) => /^(bootstrap-)?manifests\//.test(x.path))) {
      const docs = docsOf(f);
      assert.ok(docs.length > 0, f.path);
      for (const d of docs) {
        assert.ok(d.apiVersion && d.kind && d.metadata?.name, `${f.path}: ${JSON.stringify(d).slice(0, 80)}`);
      }
    }
  });

  it('runs every apiserver under lockexec on the hand-off lock, with no container ports', () => {
    const pods = [
      doc(files, 'bootstrap-manifests/bootstrap-apiserver.yaml'),
      doc(files, 'manifests/kube-apiserver.yaml'),
    ];
    for (const pod of pods) {
      const spec = podSpecOf(pod);
      assert.equal(spec.hostNetwork, true);
      for (const c of containersOf(pod)) assert.equal(c.ports, undefined, `${pod.kind} ${c.name}`);
      const [init] = spec.initContainers;
      assert.deepEqual(init.command, ['cp', LOCKEXEC.imagePath, LOCKEXEC.podPath]);
      const apiserver = spec.containers.find((c: Obj) => c.name === 'kube-apiserver');
      assert.deepEqual(apiserver.command.slice(0, 3), [
        '/lockexec/lockexec',
        '/var/lock/bootkube/api-server.lock',
        'kube-apiserver',
      ]);
      assert.equal(apiserver.command[1], API_SERVER_LOCK);
      assert.ok(apiserver.command.includes('--storage-media-type=application/json'));
      assert.ok(apiserver.command.includes('--secure-port=6443'));
      assert.ok(
        apiserver.command.includes('--service-account-issuer=https://kubernetes.default.svc.cluster.local'),
      );
      // The lock directory is mounted, never the lock file.
      const lockMount = apiserver.volumeMounts.find((m: Obj) => m.mountPath === '/var/lock/bootkube');
      assert.ok(lockMount, 'lock dir mounted');
      const lockVolume = spec.volumes.find((v: Obj) => v.name === lockMount.name);
      assert.deepEqual(lockVolume.hostPath, { path: '/var/lock/bootkube', type: 'DirectoryOrCreate' });
      assert.ok(!spec.volumes.some((v: Obj) => String(v.hostPath?.path).endsWith('.lock')));
    }
    const ds = pods[1];
    assert.equal(ds.spec.template.metadata.annotations['checkpointer.alpha.coreos.com/checkpoint'], 'true');
    assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    assert.equal(ds.spec.template.spec.securityContext.runAsUser, 65534);
    assert.equal(ds.spec.template.spec.securityContext.fsGroup, 65534);
  });

  it('runs the apiserver as root only when its port needs it', () => {
    const out = render({ apiServers: [new URL('https://10.0.0.10')] });
    const ds = doc(out, 'manifests/kube-apiserver.yaml');
    assert.equal(ds.spec.template.spec.securityContext, undefined);
    assert.ok(ds.spec.template.spec.containers[0].command.includes('--secure-port=443'));
    assert.equal(doc(out, 'auth/kubeconfig').clusters[0].cluster.server, 'https://10.0.0.10');
  });

  it('makes the bootstrap pods hostNetwork, tokenless, IfNotPresent and bound to the first master', () => {
    const selectors = ['kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'].map(
      (f) => doc(files, `manifests/${f}`).spec.selector.matchLabels,
    );
    for (const name of ['apiserver', 'controller-manager', 'scheduler']) {
      const pod = doc(files, `bootstrap-manifests/bootstrap-${name}.yaml`);
      assert.equal(pod.kind, 'Pod');
      assert.equal(pod.metadata.name, `bootstrap-kube-${name}`);
      assert.equal(pod.metadata.namespace, 'kube-system');
      assert.equal(pod.spec.hostNetwork, true);
      assert.equal(pod.spec.automountServiceAccountToken, false);
      assert.equal(pod.spec.nodeName, 'master-1');
      for (const c of containersOf(pod)) {
        assert.equal(c.imagePullPolicy, 'IfNotPresent');
        assert.equal(c.ports, undefined);
      }
      const secrets = pod.spec.volumes.find((v: Obj) => v.hostPath?.path === HOST_PATHS.bootstrapSecrets);
      const mount = pod.spec.containers[0].volumeMounts.find((m: Obj) => m.name === secrets.name);
      assert.deepEqual(mount, { name: secrets.name, mountPath: POD_SECRETS_DIR, readOnly: true });
      // A bootstrap pod matching a workload's selector would be adopted (and replaced) by it.
      for (const sel of selectors) {
        assert.ok(
          Object.entries(sel).some(([k, v]) => pod.metadata.labels[k] !== v),
          `${pod.metadata.name} matches ${JSON.stringify(sel)}`,
        );
      }
    }
  });

  it('gives bootstrap and self-hosted pods the same flags, naming only files their secrets hold', () => {
    const secret = (name: string): Obj => doc(files, `manifests/${name}-secret.yaml`).data;
    const union = {
      ...secret('kube-apiserver'),
      ...secret('kube-controller-manager'),
      ...secret('kube-scheduler'),
    };
    for (const [name, image] of [
      ['apiserver', 'kube-apiserver'],
      ['controller-manager', 'kube-controller-manager'],
      ['scheduler', 'kube-scheduler'],
    ]) {
      const boot = doc(files, `bootstrap-manifests/bootstrap-${name}.yaml`).spec.containers[0]
        .command as string[];
      const self = doc(files, `manifests/kube-${name}.yaml`).spec.template.spec.containers[0]
        .command as string[];
      assert.deepEqual(boot, self, name);
      const referenced = self.flatMap((f) => f.match(/\/etc\/kubernetes\/secrets\/([^,\s]+)/)?.[1] ?? []);
      assert.ok(referenced.length > 0);
      for (const file of referenced) {
        assert.ok(file in secret(image), `${image} flag names ${file}, missing from its Secret`);
        assert.ok(file in union, `bootstrap-secrets lacks ${file}`);
      }
    }
    const cm = doc(files, 'manifests/kube-controller-manager.yaml').spec.template.spec.containers[0];
    for (const flag of [
      '--client-ca-file=',
      '--requestheader-client-ca-file=',
      '--leader-elect=true',
      '--kubeconfig=',
    ]) {
      assert.ok(
        cm.command.some((f: string) => f.startsWith(flag)),
        flag,
      );
    }
    assert.equal(cm.livenessProbe.httpGet.port, 10257);
    assert.equal(cm.livenessProbe.httpGet.scheme, 'HTTPS');
    const sched = doc(files, 'manifests/kube-scheduler.yaml').spec.template.spec.containers[0];
    assert.equal(sched.livenessProbe.httpGet.port, 10259);
  });

  it("fills the Secrets with the PKI files, base64, and the identities' kubeconfigs", () => {
    const pem = fixturePem();
    const decode = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
    const api = doc(files, 'manifests/kube-apiserver-secret.yaml');
    assert.equal(api.type, 'Opaque');
    assert.equal(decode(api.data['ca.crt']), pem.cert);
    assert.equal(decode(api.data['service-account.key']), pem.key);
    assert.equal(decode(api.data['service-account.pub']), pem.pub);
    assert.ok('etcd-ca.crt' in api.data && 'front-proxy-client.key' in api.data);
    const cm = doc(files, 'manifests/kube-controller-manager-secret.yaml').data;
    assert.equal(
      decode(cm['kube-controller-manager.kubeconfig']),
      byPath(files, 'auth/kubeconfig-controller-manager')?.content,
    );
    assert.ok('ca.key' in cm);
    const sched = doc(files, 'manifests/kube-scheduler-secret.yaml').data;
    assert.equal(
      decode(sched['kube-scheduler.kubeconfig']),
      byPath(files, 'auth/kubeconfig-scheduler')?.content,
    );
    assert.ok(!('ca.key' in sched));
  });

  it('points cluster DNS at the DNS service IP and flannel at the pod CIDR', () => {
    const svc = doc(files, 'manifests/coredns-service.yaml');
    assert.equal(svc.spec.clusterIP, '10.3.0.10');
    assert.deepEqual(doc(files, 'kubelet/config.yaml').clusterDNS, ['10.3.0.10']);
    const corefile: string = doc(files, 'manifests/coredns-config.yaml').data.Corefile;
    assert.match(corefile, /kubernetes cluster\.local in-addr\.arpa ip6\.arpa \{/);
    for (const plugin of [
      'errors',
      'health',
      'ready',
      'prometheus :9153',
      'forward . /etc/resolv.conf',
      'cache 30',
      'loop',
      'reload',
      'loadbalance',
    ]) {
      assert.match(corefile, new RegExp(`^\\s+${plugin.replace(/[.]/g, '\\.')}`, 'm'), plugin);
    }
    const netConf = JSON.parse(doc(files, 'manifests/flannel-config.yaml').data['net-conf.json']);
    assert.deepEqual(netConf, { Network: '10.2.0.0/16', Backend: { Type: 'vxlan' } });
    JSON.parse(doc(files, 'manifests/flannel-config.yaml').data['cni-conf.json']);
  });

  it('configures calico with the pod CIDR and minimal v1 CRDs', () => {
    const out = render({ networkProvider: 'calico' });
    const env = doc(out, 'manifests/calico-node.yaml').spec.template.spec.containers[0].env;
    assert.equal(env.find((e: Obj) => e.name === 'CALICO_IPV4POOL_CIDR').value, '10.2.0.0/16');
    const crds = docsOf(byPath(out, 'manifests/calico-crds.yaml'));
    assert.ok(crds.length >= 20);
    for (const crd of crds) {
      assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
      assert.equal(crd.metadata.name, `${crd.spec.names.plural}.${crd.spec.group}`);
      assert.equal(crd.spec.versions[0].schema.openAPIV3Schema['x-kubernetes-preserve-unknown-fields'], true);
    }
    assert.ok(crds.some((c) => c.metadata.name === 'ippools.crd.projectcalico.org'));
  });

  it('handles an IPv6 pod network and API address', () => {
    const podCidr = { text: 'fd00:10::/48', network: 'fd00:10::', prefix: 48, family: 6 as const };
    const apiServers = [new URL('https://[fd00::10]:6443')];
    const flannel = render({ podCidr, apiServers });
    const netConf = JSON.parse(doc(flannel, 'manifests/flannel-config.yaml').data['net-conf.json']);
    assert.deepEqual(netConf, {
      EnableIPv4: false,
      EnableIPv6: true,
      IPv6Network: 'fd00:10::/48',
      Backend: { Type: 'vxlan' },
    });
    const env = doc(flannel, 'manifests/flannel.yaml').spec.template.spec.containers[0].env;
    assert.equal(env.find((e: Obj) => e.name === 'KUBERNETES_SERVICE_HOST').value, 'fd00::10');
    assert.equal(doc(flannel, 'auth/kubeconfig').clusters[0].cluster.server, 'https://[fd00::10]:6443');
    const calico = render({ podCidr, networkProvider: 'calico' });
    const calicoEnv = doc(calico, 'manifests/calico-node.yaml').spec.template.spec.containers[0].env;
    const names = calicoEnv.map((e: Obj) => e.name);
    assert.ok(names.includes('CALICO_IPV6POOL_CIDR') && !names.includes('CALICO_IPV4POOL_CIDR'));
    checkRenderedFiles(flannel);
    checkRenderedFiles(calico);
  });

  it('passes a cloud provider through only when set', () => {
    const has = (out: RenderedFile[], file: string): boolean =>
      doc(out, file).spec.template.spec.containers.at(-1).command.includes('--cloud-provider=external');
    const external = render({ cloudProvider: 'external' });
    assert.ok(has(external, 'manifests/kube-apiserver.yaml'));
    assert.ok(has(external, 'manifests/kube-controller-manager.yaml'));
    assert.ok(!allDocs(files).some((d) => JSON.stringify(d).includes('--cloud-provider')));
  });

  it('runs the checkpointer as the node, on masters, with the downward API', () => {
    const ds = doc(files, 'manifests/pod-checkpointer.yaml');
    const spec = ds.spec.template.spec;
    assert.equal(ds.spec.template.metadata.annotations['checkpointer.alpha.coreos.com/checkpoint'], 'true');
    // Through node in V8's lite mode (the checkpointer's memory budget), the image's CLI.
    assert.deepEqual(spec.containers[0].command.slice(0, 5), [
      'node',
      '--lite-mode',
      '/usr/local/bin/bootkube',
      'checkpoint',
      '--kubeconfig=/etc/kubernetes/kubeconfig',
    ]);
    assert.match(
      readFileSync(join(REPO_ROOT, 'assets/Dockerfile'), 'utf8'),
      /^RUN ln -s \/opt\/bootkube\/bin\/run\.js \/usr\/local\/bin\/bootkube$/m,
      'the image has no /usr/local/bin/bootkube',
    );
    assert.deepEqual(
      spec.containers[0].env.map((e: Obj) => [e.name, e.valueFrom.fieldRef.fieldPath]),
      [
        ['NODE_NAME', 'spec.nodeName'],
        ['POD_NAME', 'metadata.name'],
        ['POD_NAMESPACE', 'metadata.namespace'],
      ],
    );
    assert.equal(spec.automountServiceAccountToken, false);
    assert.deepEqual(spec.nodeSelector, { 'node-role.kubernetes.io/control-plane': '' });
    assert.deepEqual(spec.volumes.map((v: Obj) => v.hostPath.path).sort(), [
      '/etc/kubernetes',
      '/run/containerd',
      '/var/lock/bootkube',
    ]);
  });

  it('writes the kubelet config, environment and unit', () => {
    const kubelet = doc(files, 'kubelet/config.yaml');
    assert.equal(kubelet.kind, 'KubeletConfiguration');
    assert.equal(kubelet.contentType, 'application/json');
    assert.equal(kubelet.staticPodPath, '/etc/kubernetes/manifests');
    assert.equal(kubelet.authentication.x509.clientCAFile, '/etc/kubernetes/ca.crt');
    assert.equal(kubelet.authentication.anonymous.enabled, false);
    assert.equal(kubelet.readOnlyPort, 0);
    assert.match(byPath(files, 'kubelet/kubelet.env')?.content ?? '', /^NODE_NAME=master-1$/m);
    const unit = byPath(files, 'kubelet/kubelet.service')?.content;
    assert.equal(unit, readFileSync(new URL('../../assets/kubelet.service', import.meta.url), 'utf8'));
    assert.match(unit ?? '', /^EnvironmentFile=\/etc\/kubernetes\/kubelet\/kubelet\.env$/m);
    assert.throws(
      () => render({ nodeName: 'master 1$HOME' }),
      (err: unknown) => err instanceof RenderCheckError && err.file === 'kubelet/kubelet.env',
    );
  });

  it('keeps config values as data: a hostile name cannot add YAML structure', () => {
    const evil = 'demo: x\nkind: Secret\n---\n';
    const out = render({ clusterName: evil });
    const admin = doc(out, 'auth/kubeconfig');
    assert.equal(admin.clusters[0].name, evil);
    assert.deepEqual(Object.keys(admin).sort(), [
      'apiVersion',
      'clusters',
      'contexts',
      'current-context',
      'kind',
      'preferences',
      'users',
    ]);
    assert.equal(docsOf(byPath(out, 'auth/kubeconfig')).length, 1);
    // The domain also lands in the Corefile, which is text: render refuses rather than paste it.
    assert.throws(
      () => render({ clusterDomain: 'cluster.local {\n}\nevil' }),
      (err: unknown) => err instanceof RenderCheckError && err.file === 'manifests/coredns-config.yaml',
    );
  });
});

describe('rendered kubeconfigs, as kubectl reads them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bootkube-render-kubeconfig-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const files = render();
  const kubectl = (path: string, ...args: string[]): Obj =>
    JSON.parse(
      execFileSync('kubectl', ['config', 'view', '--kubeconfig', path, '-o', 'json', ...args], {
        encoding: 'utf8',
      }),
    );

  for (const [file, user] of [
    ['auth/kubeconfig', 'admin'],
    ['auth/kubeconfig-kubelet', 'kubelet'],
    ['auth/kubeconfig-controller-manager', 'kube-controller-manager'],
    ['auth/kubeconfig-scheduler', 'kube-scheduler'],
  ]) {
    it(`${file} has a named current-context for ${user}`, () => {
      const path = join(dir, file.replace('/', '_'));
      writeFileSync(path, byPath(files, file)?.content ?? '', { mode: 0o600 });
      const view = kubectl(path);
      assert.equal(view['current-context'], `${user}@demo`);
      assert.deepEqual(view.contexts, [{ name: `${user}@demo`, context: { cluster: 'demo', user } }]);
      // --minify fails unless current-context resolves to a cluster and a user.
      const min = kubectl(path, '--minify', '--raw');
      assert.equal(min.clusters[0].cluster.server, 'https://10.0.0.10:6443');
      assert.equal(
        Buffer.from(min.users[0].user['client-certificate-data'], 'base64').toString(),
        fixturePem().cert,
      );
    });
  }
});

describe('checkRenderedFiles', () => {
  const files = render();
  const replace = (path: string, change: (d: Obj) => void, mode?: number): RenderedFile[] =>
    files.map((f) => {
      if (f.path !== path) return f;
      const docs = docsOf(f);
      change(docs[0]);
      return { ...f, mode: mode ?? f.mode, content: docs.map((d) => JSON.stringify(d)).join('\n---\n') };
    });
  const rejects = (out: RenderedFile[], file: string, problem: RegExp): void => {
    assert.throws(
      () => checkRenderedFiles(out),
      (err: unknown) =>
        err instanceof RenderCheckError &&
        err.code === 'RENDER_CHECK_FAILED' &&
        err.file === file &&
        problem.test(err.message),
    );
  };

  it('accepts what render produces', () => {
    checkRenderedFiles(files);
    checkRenderedFiles(render({ networkProvider: 'calico' }));
  });

  it('rejects a manifest without metadata.name', () => {
    rejects(
      replace('manifests/coredns-sa.yaml', (d) => delete d.metadata.name),
      'manifests/coredns-sa.yaml',
      /has no metadata\.name/,
    );
  });

  it('rejects an apiserver pod template that declares a container port', () => {
    const path = 'manifests/kube-apiserver.yaml';
    const withPort = (d: Obj): void => {
      d.spec.template.spec.containers[0].ports = [{ containerPort: 6443 }];
    };
    rejects(replace(path, withPort), path, /declares ports.*host port/);
    // Found by its command too, whatever its labels say.
    rejects(
      replace(path, (d) => {
        withPort(d);
        d.spec.template.metadata.labels = { app: 'x' };
      }),
      path,
      /declares ports/,
    );
    const boot = 'bootstrap-manifests/bootstrap-apiserver.yaml';
    rejects(
      replace(boot, (d) => {
        d.spec.containers[0].ports = [{ hostPort: 6443 }];
      }),
      boot,
      /declares ports/,
    );
  });

  it('rejects a kubeconfig whose current-context does not resolve', () => {
    rejects(
      replace('auth/kubeconfig', (d) => {
        d['current-context'] = 'nope';
      }),
      'auth/kubeconfig',
      /names no context/,
    );
    rejects(
      replace('auth/kubeconfig', (d) => {
        d.users = [];
      }),
      'auth/kubeconfig',
      /names no user/,
    );
  });

  it('rejects a Secret or kubeconfig readable by others, non-string env values and ambiguous scalars', () => {
    rejects(
      replace('manifests/kube-apiserver-secret.yaml', () => {}, 0o644),
      'manifests/kube-apiserver-secret.yaml',
      /0600/,
    );
    rejects(
      replace('auth/kubeconfig', () => {}, 0o644),
      'auth/kubeconfig',
      /0600/,
    );
    const flannel = 'manifests/flannel.yaml';
    rejects(
      replace(flannel, (d) => {
        d.spec.template.spec.containers[0].env[1].value = 6443;
      }),
      flannel,
      /non-string value/,
    );
    const sa = files.map((f) =>
      f.path === 'manifests/coredns-sa.yaml'
        ? { ...f, content: `${f.content}  labels:\n    enabled: on\n` }
        : f,
    );
    rejects(sa, 'manifests/coredns-sa.yaml', /reads differently in YAML 1\.1 and 1\.2/);
    const env = files.map((f) =>
      f.path === 'kubelet/kubelet.env' ? { ...f, content: 'NODE_NAME="a b"\n' } : f,
    );
    rejects(env, 'kubelet/kubelet.env', /systemd/);
  });
});
