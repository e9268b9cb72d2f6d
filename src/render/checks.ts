/**
 * Render's last look at its own output, before anything is written: rules that, when broken, only
 * show up much later as a stuck bootstrap (an apiserver host port, a kubeconfig no client can use).
 */
import { parseAllDocuments, visit } from 'yaml';
import { RenderCheckError } from './check-errors.js';
import type { RenderedFile } from './manifests.js';
import { AMBIGUOUS_PLAIN } from './template.js';

type Mapping = Record<string, unknown>;

const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** systemd EnvironmentFile lines we write: no quoting, no `$`, no whitespace, nothing to misread. */
export const ENV_LINE = /^[A-Z_][A-Z0-9_]*=[A-Za-z0-9._:/@+,=-]*$/;

/** Throws RenderCheckError naming the first file that breaks a rule; returns nothing otherwise. */
export function checkRenderedFiles(files: readonly RenderedFile[]): void {
  const seen = new Set<string>();
  for (const file of files) {
    const fail = (problem: string): never => {
      throw new RenderCheckError(file.path, problem);
    };
    if (seen.has(file.path)) fail('rendered twice');
    seen.add(file.path);
    if (file.path.startsWith('/') || file.path.split('/').includes('..')) fail('path leaves the asset dir');
    if (/^(?:bootstrap-)?manifests\/.*\.ya?ml$/.test(file.path)) checkManifestFile(file, fail);
    else if (/^auth\/kubeconfig/.test(file.path)) checkKubeconfig(file, fail);
    else if (file.path.endsWith('.env')) checkEnvFile(file.content, fail);
    else if (/\.ya?ml$/.test(file.path)) parseDocuments(file.content, fail);
  }
}

// How a plain (unquoted) number, boolean or null must be written for YAML 1.1 and 1.2 to agree.
const CANONICAL_PLAIN = /^(?:|~|null|true|false|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?)$/;

/**
 * The documents of a YAML file. They must read the same under YAML 1.2 (JavaScript clients) and
 * YAML 1.1 (Go's sigs.k8s.io/yaml: kubectl, the apiserver): no plain scalar may be one that the
 * two resolve differently, like `on`, `0o10` or `1_000`. One parse plus a scan of the plain scalars
 * (parsing twice and comparing would double render's slowest step).
 */
function parseDocuments(text: string, fail: (p: string) => never): unknown[] {
  return parseAllDocuments(text).flatMap((doc) => {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) fail(`does not parse as YAML: ${problem.message}`);
    visit(doc, {
      Scalar(_key, node) {
        if (node.type !== 'PLAIN') return;
        const ambiguous =
          typeof node.value === 'string'
            ? AMBIGUOUS_PLAIN.test(node.value)
            : !CANONICAL_PLAIN.test(node.source ?? String(node.value));
        if (ambiguous)
          fail(
            `plain scalar ${JSON.stringify(node.source ?? node.value)} reads differently in YAML 1.1 and 1.2`,
          );
      },
    });
    return doc.contents === null ? [] : [doc.toJS()];
  });
}

function checkManifestFile(file: RenderedFile, fail: (p: string) => never): void {
  const docs = parseDocuments(file.content, fail);
  if (docs.length === 0) fail('holds no document');
  docs.forEach((doc, i) => {
    const where = docs.length > 1 ? `document ${i + 1}: ` : '';
    if (!isMapping(doc)) return fail(`${where}is not a mapping`);
    const meta = doc.metadata;
    if (!nonEmpty(doc.apiVersion)) fail(`${where}has no apiVersion`);
    if (!nonEmpty(doc.kind)) fail(`${where}has no kind`);
    if (!isMapping(meta) || !nonEmpty(meta.name)) fail(`${where}${String(doc.kind)} has no metadata.name`);
    const name = `${where}${String(doc.kind)} ${String(meta.name)}`;
    if (doc.kind === 'Secret' && (file.mode & 0o077) !== 0) fail(`${name}: a Secret must be written 0600`);
    checkStringMaps(meta, name, fail);
    for (const pod of podTemplates(doc)) checkPod(pod, name, fail);
  });
}

interface PodTemplate {
  meta: Mapping;
  spec: Mapping;
}

/** The pod itself, or the pod templates of a workload (Deployment, DaemonSet, Job, CronJob...). */
function podTemplates(doc: Mapping): PodTemplate[] {
  const spec = isMapping(doc.spec) ? doc.spec : {};
  if (doc.kind === 'Pod') return [{ meta: isMapping(doc.metadata) ? doc.metadata : {}, spec }];
  const jobTemplate =
    isMapping(spec.jobTemplate) && isMapping(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
  return [spec.template, jobTemplate.template]
    .filter(isMapping)
    .map((t) => ({ meta: isMapping(t.metadata) ? t.metadata : {}, spec: isMapping(t.spec) ? t.spec : {} }));
}

function containersOf(spec: Mapping): Mapping[] {
  return [spec.initContainers, spec.containers, spec.ephemeralContainers]
    .flatMap((list) => (Array.isArray(list) ? list : []))
    .filter(isMapping);
}

/** A pod runs kube-apiserver when it is labelled so or a container's command or args start it. */
function runsApiserver(pod: PodTemplate): boolean {
  const labels = isMapping(pod.meta.labels) ? pod.meta.labels : {};
  if (labels['k8s-app'] === 'kube-apiserver') return true;
  return containersOf(pod.spec).some((c) =>
    [c.command, c.args]
      .flatMap((list) => (Array.isArray(list) ? list : []))
      .filter((arg): arg is string => typeof arg === 'string')
      .flatMap((arg) => arg.split(/\s+/))
      .some((word) => word.split('/').pop() === 'kube-apiserver'),
  );
}

function checkPod(pod: PodTemplate, name: string, fail: (p: string) => never): void {
  checkStringMaps(pod.meta, `${name} pod template`, fail);
  const apiserver = runsApiserver(pod);
  for (const c of containersOf(pod.spec)) {
    const container = `${name}: container ${String(c.name)}`;
    if (apiserver && Array.isArray(c.ports) && c.ports.length > 0) {
      fail(
        `${container} declares ports: an apiserver pod runs on the host network, where a declared ` +
          'port becomes a host port that blocks the next apiserver on the node',
      );
    }
    for (const env of Array.isArray(c.env) ? c.env : []) {
      if (isMapping(env) && env.value !== undefined && typeof env.value !== 'string') {
        fail(`${container}: env ${String(env.name)} has a non-string value`);
      }
    }
  }
}

/** Labels and annotations are maps of strings; YAML makes `true` or `9153` easy to write by mistake. */
function checkStringMaps(meta: Mapping, name: string, fail: (p: string) => never): void {
  for (const field of ['labels', 'annotations']) {
    const map = meta[field];
    if (map === undefined) continue;
    if (!isMapping(map)) fail(`${name}: metadata.${field} is not a mapping`);
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== 'string') fail(`${name}: ${field} ${key} is not a string`);
    }
  }
}

/** Named current-context that resolves to a named cluster (with a server) and a named user. */
function checkKubeconfig(file: RenderedFile, fail: (p: string) => never): void {
  if ((file.mode & 0o077) !== 0) fail('a kubeconfig holds a private key and must be written 0600');
  const [config] = parseDocuments(file.content, fail);
  if (!isMapping(config)) return fail('is not a kubeconfig');
  const current = config['current-context'];
  if (!nonEmpty(current)) fail('has no current-context');
  const find = (list: unknown, name: unknown): Mapping | undefined =>
    (Array.isArray(list) ? list : []).find(
      (e): e is Mapping => isMapping(e) && nonEmpty(name) && e.name === name,
    );
  const context = find(config.contexts, current)?.context;
  if (!isMapping(context)) return fail(`current-context "${String(current)}" names no context`);
  const cluster = find(config.clusters, context.cluster)?.cluster;
  if (!isMapping(cluster) || !nonEmpty(cluster.server)) {
    fail(`context "${String(current)}" names no cluster with a server`);
  }
  if (!isMapping(find(config.users, context.user)?.user)) fail(`context "${String(current)}" names no user`);
}

function checkEnvFile(text: string, fail: (p: string) => never): void {
  text.split('\n').forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    if (!ENV_LINE.test(line))
      fail(`line ${i + 1} is not a safe KEY=VALUE line for systemd: ${JSON.stringify(line)}`);
  });
}
