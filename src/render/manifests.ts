/**
 * From a validated cluster config and the PKI's files to the asset dir's non-TLS files: kubeconfigs,
 * the kubelet's config and unit, the bootstrap pods and the self-hosted control plane. Pure: the
 * render orchestrator writes the result (atomically); nothing here touches the asset dir.
 */
import { readFileSync } from 'node:fs';
import type { ClusterConfig } from '../config/types.js';
import { RenderCheckError } from './check-errors.js';
import { ENV_LINE } from './checks.js';
import { renderTemplate, toYaml } from './template.js';
import {
  buildValues,
  renderKubeconfig,
  type KubeconfigName,
  type TemplateValues,
  type TlsReader,
} from './values.js';

export interface RenderedFile {
  /** Relative to the asset dir, `/`-separated. */
  path: string;
  content: string;
  /** 0o600 for anything holding a key or a Secret, else 0o644. */
  mode: number;
}

const PRIVATE = 0o600;
const PUBLIC = 0o644;

/** Kubeconfig files and the identity in each (all embed a client key, hence 0600). */
const KUBECONFIGS: ReadonlyArray<readonly [string, KubeconfigName]> = [
  ['auth/kubeconfig', 'admin'],
  ['auth/kubeconfig-kubelet', 'kubelet'],
  ['auth/kubeconfig-controller-manager', 'controllerManager'],
  ['auth/kubeconfig-scheduler', 'scheduler'],
];

const BOOTSTRAP_MANIFESTS = [
  'bootstrap-manifests/bootstrap-apiserver.yaml',
  'bootstrap-manifests/bootstrap-controller-manager.yaml',
  'bootstrap-manifests/bootstrap-scheduler.yaml',
];

type Provider = ClusterConfig['networkProvider'];

/**
 * The self-hosted control plane: template path = output path. Network-provider files are listed
 * with their provider and not even parsed for another one (parsing is most of render's time); their
 * documents also carry `$if: network.<provider>`, so the templates stand on their own.
 */
const MANIFESTS: ReadonlyArray<readonly [string, Provider?]> = [
  ['kube-apiserver.yaml'],
  ['kube-apiserver-secret.yaml'],
  ['kube-apiserver-kubelet-client-role-binding.yaml'],
  ['kube-controller-manager.yaml'],
  ['kube-controller-manager-secret.yaml'],
  ['kube-controller-manager-disruption.yaml'],
  ['kube-scheduler.yaml'],
  ['kube-scheduler-secret.yaml'],
  ['kube-scheduler-disruption.yaml'],
  ['kube-proxy.yaml'],
  ['kube-proxy-config.yaml'],
  ['kube-proxy-sa.yaml'],
  ['kube-proxy-role-binding.yaml'],
  ['coredns-deployment.yaml'],
  ['coredns-config.yaml'],
  ['coredns-service.yaml'],
  ['coredns-sa.yaml'],
  ['coredns-cluster-role.yaml'],
  ['coredns-cluster-role-binding.yaml'],
  ['pod-checkpointer.yaml'],
  ['kubelet-bootstrap-role-bindings.yaml'],
  ['flannel.yaml', 'flannel'],
  ['flannel-config.yaml', 'flannel'],
  ['flannel-sa.yaml', 'flannel'],
  ['flannel-cluster-role.yaml', 'flannel'],
  ['flannel-cluster-role-binding.yaml', 'flannel'],
  ['calico-crds.yaml', 'calico'],
  ['calico-node.yaml', 'calico'],
  ['calico-config.yaml', 'calico'],
  ['calico-sa.yaml', 'calico'],
  ['calico-cluster-role.yaml', 'calico'],
  ['calico-cluster-role-binding.yaml', 'calico'],
];

/** Shipped as is (assets/kubelet.service), copied into the asset dir beside its config. */
const KUBELET_UNIT = new URL('../../assets/kubelet.service', import.meta.url);

function manifestFile(path: string, values: TemplateValues): RenderedFile | undefined {
  const docs = renderTemplate(path, values);
  if (docs.length === 0) return undefined;
  const holdsSecret = docs.some((doc) => (doc as { kind?: unknown } | null)?.kind === 'Secret');
  return { path, content: toYaml(docs), mode: holdsSecret ? PRIVATE : PUBLIC };
}

/**
 * kubelet/kubelet.env: the unit's EnvironmentFile. Not YAML, and systemd has its own quoting and
 * (in newer versions) `$` expansion in such files, so values are restricted to characters that
 * need neither rather than quoted.
 */
function kubeletEnv(values: TemplateValues): RenderedFile {
  const path = 'kubelet/kubelet.env';
  const vars: Record<string, string> = {
    // The name the kubelet registers under (--hostname-override): bootstrap pods are bound to it.
    NODE_NAME: values.node.name,
    // For the operator: more kubelet flags, split on whitespace by systemd ($VAR, not ${VAR}).
    KUBELET_EXTRA_ARGS: '',
  };
  const lines = Object.entries(vars).map(([key, value]) => {
    const line = `${key}=${value}`;
    if (!ENV_LINE.test(line)) {
      throw new RenderCheckError(
        path,
        `${key} has characters unsafe in a systemd EnvironmentFile: ${JSON.stringify(value)}`,
      );
    }
    return line;
  });
  const header = `# Environment of kubelet.service for node ${values.node.name}, rendered by bootkube.`;
  return { path, content: [header, ...lines, ''].join('\n'), mode: PUBLIC };
}

/**
 * Every non-TLS file of the asset dir, ready to write once checkRenderedFiles has passed (the caller
 * runs it: parsing the output again is a third of render's time, so it is done once, there). `tls`
 * reads the PKI's files by their asset-dir path (TLS_PATHS in constants.ts lists the ones used).
 */
export function renderAssetFiles(config: ClusterConfig, tls: TlsReader): RenderedFile[] {
  const values = buildValues(config, tls);
  const files: RenderedFile[] = KUBECONFIGS.map(([path, name]) => ({
    path,
    content: renderKubeconfig(values, name),
    mode: PRIVATE,
  }));
  files.push(
    {
      path: 'kubelet/config.yaml',
      content: toYaml(renderTemplate('kubelet/config.yaml', values)),
      mode: PUBLIC,
    },
    kubeletEnv(values),
    { path: 'kubelet/kubelet.service', content: readFileSync(KUBELET_UNIT, 'utf8'), mode: PUBLIC },
  );
  const manifests = MANIFESTS.filter(
    ([, provider]) => provider === undefined || provider === config.networkProvider,
  );
  for (const path of [...BOOTSTRAP_MANIFESTS, ...manifests.map(([name]) => `manifests/${name}`)]) {
    const file = manifestFile(path, values);
    if (file) files.push(file);
  }
  return files;
}
