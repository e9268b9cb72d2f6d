import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { printTree } from '../cli/tree.js';
import { defaultsDocument, loadClusterConfig, type FlagValues } from '../config/index.js';
import { DEFAULTS } from '../config/defaults.js';
import { IMAGE_KEYS, imageFlagName } from '../config/fields.js';
import { render, type RenderResult } from '../render/render.js';

export default class Render extends BaseCommand {
  static override summary = 'Render the PKI, kubeconfigs, kubelet config and control-plane manifests into an asset dir.';
  static override description = `Everything the first master needs: tls/ (cluster, front-proxy and etcd CAs and certificates, the service-account key), auth/ (kubeconfigs), kubelet/ (KubeletConfiguration and systemd unit), bootstrap-manifests/ (the temporary control plane) and manifests/ (the self-hosted control plane).

Settings come from the defaults, then --config FILE, then flags. Nothing is written unless everything validates; the asset dir appears complete or not at all.`;

  static override examples = [
    '<%= config.bin %> render --asset-dir assets --api-servers https://10.0.0.10:6443 --etcd-servers https://10.0.0.10:2379',
    '<%= config.bin %> render --asset-dir assets --config cluster.yaml --force',
    '<%= config.bin %> render --print-defaults > cluster.yaml',
  ];

  static override flags = {
    'asset-dir': Flags.string({ description: 'directory to render into (must not exist or be empty, unless --force)', env: 'BOOTKUBE_ASSET_DIR' }),
    config: Flags.string({ description: 'cluster config file (YAML, apiVersion bootkube.dev/v1alpha1); flags override it' }),
    'print-defaults': Flags.boolean({ description: 'print a complete config file holding every default, and exit' }),
    force: Flags.boolean({ description: 'replace an existing non-empty asset dir' }),
    'api-servers': Flags.string({ description: `comma-separated apiserver URLs; the first is the kubeconfigs' server and its port the apiserver's [default: ${DEFAULTS.apiServers.join(',')}]` }),
    'api-server-alt-names': Flags.string({ description: 'extra SANs of the apiserver certificate: IP=<addr>,DNS=<name>,…' }),
    'etcd-servers': Flags.string({ description: `comma-separated etcd URLs; any https URL turns on etcd TLS [default: ${DEFAULTS.etcdServers.join(',')}]` }),
    'etcd-ca-path': Flags.string({ description: "your etcd CA certificate (with the two flags below; otherwise render makes an etcd PKI)" }),
    'etcd-certificate-path': Flags.string({ description: "the apiserver's etcd client certificate, signed by your etcd CA" }),
    'etcd-private-key-path': Flags.string({ description: "the apiserver's etcd client key" }),
    'ca-certificate-path': Flags.string({ description: 'your own cluster CA certificate (with --ca-private-key-path)' }),
    'ca-private-key-path': Flags.string({ description: 'the private key of --ca-certificate-path' }),
    'pod-cidr': Flags.string({ description: `pod network [default: ${DEFAULTS.podCidr}]` }),
    'service-cidr': Flags.string({ description: `service network; .1 is the API service, .10 cluster DNS [default: ${DEFAULTS.serviceCidr}]` }),
    'network-provider': Flags.string({ description: `pod network add-on: flannel, calico or none [default: ${DEFAULTS.networkProvider}]` }),
    'cloud-provider': Flags.string({ description: 'empty, or "external" for an out-of-tree cloud controller manager' }),
    'kubernetes-version': Flags.string({ description: 'Kubernetes release of the control-plane images [default: a current 1.32 patch]' }),
    'node-name': Flags.string({ description: "the first master's node name, as its kubelet registers [default: this machine's hostname]" }),
    'cluster-name': Flags.string({ description: `name of the cluster in kubeconfigs [default: ${DEFAULTS.clusterName}]` }),
    'cluster-domain': Flags.string({ description: `cluster DNS domain [default: ${DEFAULTS.clusterDomain}]` }),
    'key-type': Flags.string({ description: `private key type: rsa-2048 or ecdsa-p256 [default: ${DEFAULTS.keyType}]` }),
    image: Flags.string({
      description: `override one image, NAME=REF (repeatable); NAME is one of ${IMAGE_KEYS.map(imageFlagName).join(', ')}`,
      multiple: true,
    }),
  };

  async run(): Promise<RenderResult | { defaults: string }> {
    const { flags } = await this.parse(Render);
    if (flags['print-defaults']) {
      const text = defaultsDocument((await import('node:os')).hostname(), this.config.version);
      if (!this.jsonEnabled()) process.stdout.write(text);
      return { defaults: text };
    }
    const assetDir = flags['asset-dir'];
    if (!assetDir) this.error('Missing required flag --asset-dir', { exit: 2 });
    const config = await loadClusterConfig({
      configPath: flags.config,
      flags: flags as FlagValues,
      bootkubeVersion: this.config.version,
    });
    const result = await render({ config, assetDir, force: flags.force });
    if (!this.jsonEnabled()) {
      this.log(`Rendered ${result.files.length} files into ${result.assetDir}`);
      this.log(printTree(result.assetDir, result.files));
      const soonest = result.certificates.reduce((a, c) => (c.notAfter < a ? c.notAfter : a), '9999');
      this.log(`${result.certificates.length} certificates; the first to expire does so on ${soonest.slice(0, 10)}.`);
      this.log(`Next: copy ${assetDir} to the first master and run: bootkube start --asset-dir ${assetDir}`);
    }
    return result;
  }
}
