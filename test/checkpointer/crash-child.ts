/**
 * A child process for the crash tests: a checkpointer on root dir argv[2] whose world changes
 * every iteration (new image, new secret value, the parent running or not), so that every
 * iteration rewrites manifests and secrets and starts or stops checkpoints. It prints `ready`
 * when the loop starts. Mode argv[3]: `kill` loops as fast as it can until killed; `sigterm`
 * runs the real loop until SIGTERM and then prints `clean exit`.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { Checkpointer } from '../../src/checkpointer/checkpointer.js';
import { abortOnSignals } from '../../src/checkpointer/abort.js';
import { CheckpointStore, storeLayout } from '../../src/checkpointer/store.js';
import type { RuntimePod } from '../../src/checkpointer/types.js';
import { ANNOTATIONS } from '../../src/render/constants.js';
import { secretValue } from './crash-values.js';

const [root, mode] = process.argv.slice(2) as [string, string];
const NS = 'kube-system';
const NAMES = ['pod-checkpointer', 'kube-apiserver-a1', 'kube-scheduler-b2', 'coredns-c3'];
let k = Number(process.env.CRASH_START ?? 0);

const pod = (name: string): V1Pod => ({
  metadata: {
    name,
    namespace: NS,
    uid: `uid-${name}`,
    labels: { app: name },
    annotations: { [ANNOTATIONS.checkpoint]: 'true' },
  },
  spec: {
    nodeName: 'n1',
    containers: [{ name: 'main', image: `example/${name}:${k}`, command: [name, '--flag', 'x'.repeat(200)] }],
    volumes:
      name === 'pod-checkpointer' ? [] : [{ name: 'secrets', secret: { secretName: `${name}-secret` } }],
  },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});
// Half of the pods run in even iterations, the other half in odd ones: starts and stops every time.
const running = (): string[] => NAMES.filter((_, i) => i === 0 || i % 2 === k % 2);

const store = new CheckpointStore(storeLayout(root), { log: { info() {}, warn() {} } });
await store.init();
const checkpointer = new Checkpointer({
  identity: { nodeName: 'n1', podName: 'pod-checkpointer', podNamespace: NS },
  api: { name: 'api', list: async () => ({ state: 'ok', pods: NAMES.map(pod), observedAt: Date.now() }) },
  kubelet: {
    name: 'kubelet',
    list: async () => ({ state: 'ok', pods: NAMES.map(pod), observedAt: Date.now() }),
  },
  runtime: {
    name: 'cri',
    list: async () => ({
      state: 'ok',
      observedAt: Date.now(),
      pods: running().map((n): RuntimePod => ({
        uid: `uid-${n}`,
        namespace: NS,
        name: n,
        ready: true,
        labels: {},
        annotations: {},
        containers: [{ id: n, name: 'main', state: 'running' }],
      })),
    }),
  },
  objects: {
    secret: async () => ({
      'tls.key': Buffer.from(secretValue(k)),
      'tls.crt': Buffer.from(secretValue(k + 1)),
    }),
    configMap: async () => undefined,
    token: async () => ({ token: 'x.y.z', expiresAt: Date.now() + 3600_000 }),
  },
  store,
  lock: { inspect: async () => ({ holders: 0, waiters: 0 }) },
  readyz: async () => true,
  log: { info() {}, warn: (m) => process.stderr.write(`${m}\n`) },
  clock: Date.now,
  gracePeriodMs: 3600_000,
  refreshIntervalMs: 0,
});

if (mode === 'sigterm') {
  const signal = abortOnSignals();
  process.stdout.write('ready\n');
  await checkpointer.runLoop({
    intervalMs: 2,
    signal,
    sleep: async (ms, s) => {
      k++;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        s.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    },
  });
  process.stdout.write('clean exit\n');
} else {
  process.stdout.write('ready\n');
  for (;;) {
    await checkpointer.runOnce();
    k++;
  }
}
