import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, ConfigFileError, defaultsDocument, parseConfigText, resolveClusterConfig, settingsFromFlags } from '../../src/config/index.js';
import { mergeSettings } from '../../src/config/settings.js';

const ctx = { hostname: 'Master-0', bootkubeVersion: '0.1.0' };
const fromFlags = (flags: Record<string, string | string[]>) => resolveClusterConfig(settingsFromFlags(flags, '/cwd'), ctx);

describe('cluster config defaults', () => {
  it('derives service IPs, the node name and etcd TLS from the defaults', () => {
    const c = fromFlags({});
    assert.equal(c.nodeName, 'master-0');
    assert.equal(c.apiServers[0]!.href, 'https://127.0.0.1:6443/');
    assert.equal(c.serviceCidr.text, '10.3.0.0/24');
    assert.equal(c.apiServiceIp, '10.3.0.1');
    assert.equal(c.dnsServiceIp, '10.3.0.10');
    assert.equal(c.etcd.tls, true);
    assert.equal(c.networkProvider, 'flannel');
    assert.match(c.kubernetesVersion, /^v1\.32\.\d+$/);
    assert.equal(c.images.kubeApiserver, `registry.k8s.io/kube-apiserver:${c.kubernetesVersion}`);
  });

  it('computes service IPs from the network address, also for IPv6', () => {
    assert.equal(fromFlags({ 'service-cidr': '10.33.1.200/16', 'pod-cidr': '10.2.0.0/16' }).apiServiceIp, '10.33.0.1');
    const v6 = fromFlags({ 'service-cidr': 'fd00:10:96::/112', 'pod-cidr': 'fd00:10:244::/56' });
    assert.equal(v6.apiServiceIp, 'fd00:10:96::1');
    assert.equal(v6.dnsServiceIp, 'fd00:10:96::a');
  });

  it('turns etcd TLS off when every etcd URL is http', () => {
    assert.equal(fromFlags({ 'etcd-servers': 'http://10.0.0.1:2379' }).etcd.tls, false);
  });

  it('keeps image overrides and resolves relative paths against the working directory', () => {
    const c = fromFlags({ image: ['coredns=my.registry/coredns:1.0'], 'ca-certificate-path': 'pki/ca.crt', 'ca-private-key-path': '/abs/ca.key' });
    assert.equal(c.images.coredns, 'my.registry/coredns:1.0');
    assert.deepEqual(c.ca, { certificatePath: '/cwd/pki/ca.crt', privateKeyPath: '/abs/ca.key' });
  });
});

describe('bad flags: one clear error naming the flag', () => {
  const cases: Array<[string, Record<string, string | string[]>, RegExp]> = [
    ['URL without host', { 'api-servers': 'https://:6443' }, /^--api-servers: .*(not a URL|no host)/],
    ['URL with a bad scheme', { 'api-servers': 'http://10.0.0.1:6443' }, /^--api-servers: .*scheme "http"/],
    ['URL without a port', { 'api-servers': 'https://10.0.0.1' }, /^--api-servers: .*no port/],
    ['URL with a path', { 'api-servers': 'https://10.0.0.1:6443/x' }, /^--api-servers: .*only scheme:\/\/host:port/],
    ['etcd URL with a bad scheme', { 'etcd-servers': 'ftp://10.0.0.1:2379' }, /^--etcd-servers: .*scheme "ftp"/],
    ['empty API server list', { 'api-servers': ' , ' }, /^--api-servers: is empty/],
    ['bad pod CIDR', { 'pod-cidr': '10.2.0.0/33' }, /^--pod-cidr: "10.2.0.0\/33" is not a CIDR/],
    ['CIDR shorthand', { 'pod-cidr': '10.2/16' }, /^--pod-cidr: .*not a CIDR/],
    ['dual-stack CIDR', { 'service-cidr': '10.3.0.0/24,fd00::/112' }, /^--service-cidr: .*dual-stack/],
    ['overlapping CIDRs', { 'pod-cidr': '10.0.0.0/8', 'service-cidr': '10.3.0.0/24' }, /^--pod-cidr and --service-cidr: .*overlap/],
    ['service CIDR too small', { 'service-cidr': '10.3.0.0/29' }, /^--service-cidr: .*too small/],
    ['service CIDR too large', { 'service-cidr': '10.0.0.0/8', 'pod-cidr': '192.168.0.0/16' }, /^--service-cidr: .*too large/],
    ['pod CIDR too small', { 'pod-cidr': '10.2.0.0/25' }, /^--pod-cidr: .*too small/],
    ['mixed families', { 'pod-cidr': 'fd00::/56' }, /^--pod-cidr and --service-cidr: .*families/],
    ['alt name of unknown type', { 'api-server-alt-names': 'IP=10.0.0.1,URI=spiffe://x' }, /^--api-server-alt-names: alt name "URI=spiffe:\/\/x" is of unknown type/],
    ['alt name IP that is no IP', { 'api-server-alt-names': 'IP=10.0.0' }, /^--api-server-alt-names: .*not an IP address/],
    ['unknown network provider', { 'network-provider': 'weave' }, /^--network-provider: "weave" is not one of flannel, calico, none/],
    ['in-tree cloud provider', { 'cloud-provider': 'aws' }, /^--cloud-provider: .*not supported/],
    ['bad Kubernetes version', { 'kubernetes-version': '1.32' }, /^--kubernetes-version: .*not a Kubernetes release/],
    ['unsupported Kubernetes version', { 'kubernetes-version': 'v1.12.1' }, /^--kubernetes-version: .*not supported/],
    ['bad node name', { 'node-name': 'Master_0' }, /^--node-name: .*not a valid node name/],
    ['bad key type', { 'key-type': 'rsa-1024' }, /^--key-type: .*not one of rsa-2048, ecdsa-p256/],
    ['some etcd TLS files only', { 'etcd-ca-path': '/x/ca.crt' }, /give all three or none/],
    ['etcd TLS files with http etcd', { 'etcd-servers': 'http://10.0.0.1:2379', 'etcd-ca-path': '/a', 'etcd-certificate-path': '/b', 'etcd-private-key-path': '/c' }, /^--etcd-ca-path: .*http/],
    ['CA certificate without key', { 'ca-certificate-path': '/x/ca.crt' }, /give both or neither/],
    ['unknown image name', { image: ['kube-dns=x:1'] }, /^--image kube-dns=x:1: unknown component "kube-dns"/],
    ['image flag without =', { image: ['coredns'] }, /^--image coredns: expected NAME=IMAGE/],
  ];
  for (const [name, flags, pattern] of cases) {
    it(name, () => {
      assert.throws(() => fromFlags(flags), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
        assert.match(err.userMessage(), pattern);
        assert.ok(!err.userMessage().includes('\n'), 'one line');
        return true;
      });
    });
  }
});

describe('config file', () => {
  const file = (body: string) => `apiVersion: bootkube.dev/v1alpha1\nkind: ClusterConfig\n${body}`;

  it('round-trips --print-defaults: the printed file resolves to the defaults', () => {
    const fromFile = resolveClusterConfig(parseConfigText(defaultsDocument('master-0', '0.1.0'), 'c.yaml', '/d'), ctx);
    assert.deepEqual(fromFile, fromFlags({}));
  });

  it('lets flags override the file and names the file field in errors', () => {
    const settings = parseConfigText(file('network:\n  podCIDR: 10.50.0.0/16\n  serviceCIDR: 10.60.0.0/24\n'), 'c.yaml', '/d');
    const merged = mergeSettings(settings, settingsFromFlags({ 'service-cidr': '10.70.0.0/24' }, '/cwd'));
    const c = resolveClusterConfig(merged, ctx);
    assert.equal(c.podCidr.text, '10.50.0.0/16');
    assert.equal(c.serviceCidr.text, '10.70.0.0/24');
    const bad = parseConfigText(file('network:\n  podCIDR: nope\n'), 'c.yaml', '/d');
    assert.throws(() => resolveClusterConfig(bad, ctx), /network\.podCIDR in c\.yaml: "nope" is not a CIDR/);
  });

  it('resolves relative paths against the file', () => {
    const s = parseConfigText(file('ca:\n  certificatePath: pki/ca.crt\n  privateKeyPath: pki/ca.key\n'), 'c.yaml', '/etc/bk');
    assert.equal(resolveClusterConfig(s, ctx).ca?.certificatePath, '/etc/bk/pki/ca.crt');
  });

  const bad: Array<[string, string, RegExp, typeof ConfigError | typeof ConfigFileError]> = [
    ['unknown field', file('etcd:\n  server: [https://a:1]\n'), /unknown field "etcd\.server".*did you mean "etcd\.servers"/, ConfigFileError],
    ['unknown top-level field', file('podCidr: 10.0.0.0/16\n'), /unknown field "podCidr"/, ConfigFileError],
    ['wrong apiVersion', 'apiVersion: bootkube.dev/v9\nkind: ClusterConfig\n', /apiVersion "bootkube\.dev\/v9" is not supported/, ConfigFileError],
    ['missing apiVersion', 'kind: ClusterConfig\n', /apiVersion is missing/, ConfigFileError],
    ['wrong kind', 'apiVersion: bootkube.dev/v1alpha1\nkind: Cluster\n', /kind "Cluster" is not supported/, ConfigFileError],
    ['not YAML', file('network: [\n'), /c\.yaml.*not valid YAML/, ConfigFileError],
    ['not a mapping', '- a\n- b\n', /expected a ClusterConfig mapping/, ConfigFileError],
    ['a string where a list belongs', file('apiServers: https://a:6443\n'), /apiServers in c\.yaml: expected a list of strings/, ConfigError],
    ['a number where a string belongs', file('clusterName: 42\n'), /clusterName in c\.yaml: expected a string/, ConfigError],
    ['duplicate keys', file('clusterName: a\nclusterName: b\n'), /not valid YAML/, ConfigFileError],
  ];
  for (const [name, text, pattern, type] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => parseConfigText(text, 'c.yaml', '/d'), (err: unknown) => {
        assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
        assert.match((err as ConfigError).userMessage(), pattern);
        return true;
      });
    });
  }
});
