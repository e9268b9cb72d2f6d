// A small cluster for the controller and scheduler tests: the admin client, Node objects created
// with the admin identity, a stand-in "kubelet" per node that marks bound pods Running and Ready
// and completes graceful deletions (what the simulated kubelet does in the full simulation), and kubectl.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KubeClient, type KObj } from '../../../src/sim/standins/client/client.js';
import { Informer, keyOf } from '../../../src/sim/standins/client/informer.js';
import { loadKubeconfig } from '../../../src/sim/standins/client/kubeconfig.js';
import type { RenderedNode } from './support.js';

/** A client with the admin identity of the rendered asset dir. */
export async function adminClient(node: RenderedNode): Promise<KubeClient> {
  return new KubeClient(await loadKubeconfig(`${node.assetDir}/auth/kubeconfig`));
}

/** A Ready node with the given labels and taints. */
export function nodeObject(name: string, labels: Record<string, string> = {}, taints: KObj[] = []): KObj {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels } },
    spec: taints.length ? { taints } : {},
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      addresses: [{ type: 'Hostname', address: name }],
    },
  };
}

export async function createNode(admin: KubeClient, node: KObj): Promise<void> {
  const created = await admin.create('/api/v1/nodes', node);
  await admin.update(`/api/v1/nodes/${node.metadata.name}/status`, { ...created, status: node.status });
}

/**
 * Plays the kubelet of `nodes` for every pod bound to them: Running and Ready at once, and a pod
 * marked for deletion removed (grace period 0), as a kubelet does once its containers stopped.
 */
export function fakeKubelets(
  admin: KubeClient,
  nodes: readonly string[],
  signal: AbortSignal,
): Promise<void> {
  const pods = new Informer(admin, { path: '/api/v1/pods', backoff: { minMs: 50, maxMs: 200 } });
  const busy = new Set<string>();
  const handle = async (pod: KObj): Promise<void> => {
    const key = keyOf(pod);
    if (!nodes.includes(pod.spec?.nodeName) || busy.has(key)) return;
    busy.add(key);
    try {
      const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
      if (pod.metadata.deletionTimestamp) {
        await admin.delete(path, {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata.uid },
        });
      } else if (pod.status?.phase !== 'Running') {
        const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        const cond = (type: string) => ({
          type,
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: now,
        });
        const status = {
          ...pod.status,
          phase: 'Running',
          hostIP: '10.0.0.1',
          podIP: '10.2.0.1',
          startTime: now,
          conditions: [
            'PodReadyToStartContainers',
            'Initialized',
            'Ready',
            'ContainersReady',
            'PodScheduled',
          ].map(cond),
          containerStatuses: pod.spec.containers.map((c: KObj) => ({
            name: c.name,
            image: c.image,
            imageID: '',
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: now } },
          })),
        };
        await admin.update(`${path}/status`, { ...pod, status });
      }
    } catch {
      // a conflict or a pod gone meanwhile: the next event brings it back
    } finally {
      busy.delete(key);
    }
  };
  pods.addHandler({ add: (p) => void handle(p), update: (_, p) => void handle(p) });
  return pods.run(signal);
}

/** Runs kubectl with the admin kubeconfig; resolves with stdout. */
export async function kubectl(node: RenderedNode, args: string[], input?: string): Promise<string> {
  const run = promisify(execFile);
  if (input === undefined)
    return (await run('kubectl', ['--kubeconfig', `${node.assetDir}/auth/kubeconfig`, ...args])).stdout;
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', `${node.assetDir}/auth/kubeconfig`, ...args],
      (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
    child.stdin!.end(input);
  });
}
