/**
 * npm run bench:checkpoint — the pod checkpointer, rehearsed (src/sim, a real etcd):
 *  1. a bootstrapped master rebooted BENCH_RUNS times (default 5; 0 measures memory only): time from the power cycle to the
 *     API answering /readyz (through the checkpointed apiserver) and to the control plane whole again
 *     (self-hosted apiserver serving, its checkpoint inactive, every component Ready);
 *  2. the resident memory of a `bootkube checkpoint` process (the compiled dist/) at steady state,
 *     with 10 checkpointed pods on its node besides the control plane.
 * Budgets (DESIGN.md §9): API back within one checkpointer interval (5 s) plus the apiserver's
 * start; ≤ 60 MiB. Prints figures; never fails on time.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { readyz } from '../../src/bootstrap/probe.js';
import { runStart } from '../../src/bootstrap/start.js';
import { ANNOTATIONS, HOST_PATHS } from '../../src/render/constants.js';
import { adminClient, isReady, rehearsal, startOptions, systemPods } from '../bootstrap/support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 5);
if (!existsSync(join(root, 'dist/commands/checkpoint.js')))
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 120_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const env = await rehearsal();
try {
  await runStart(startOptions(env), { quiet: true });
  const target = {
    server: env.apiServer,
    servername: env.apiServer.hostname,
    ca: await readFile(join(env.assetDir, 'tls/ca.crt')),
  };
  const client = await adminClient(env);
  const apiserverActive = async () =>
    (await readdir(join(env.nodeRoot, HOST_PATHS.staticPods))).some((f) =>
      f.startsWith('kube-system-kube-apiserver-'),
    );
  const whole = async () => {
    if (!(await readyz(target)) || (await apiserverActive())) return false;
    const pods = (await systemPods(client)).filter(
      (p) => !p.metadata.annotations?.['kubernetes.io/config.mirror'] && !p.metadata.deletionTimestamp,
    );
    return ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'pod-checkpointer'].every((app) =>
      pods.some((p) => p.metadata.labels?.['k8s-app'] === app && isReady(p)),
    );
  };
  const apiBack: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < runs; i++) {
    await until('a whole control plane before the reboot', whole);
    const t = Date.now();
    await env.cluster.rebootNode(env.nodeName);
    await until('the API', () => readyz(target));
    apiBack.push((Date.now() - t) / 1000);
    await until('the control plane', whole);
    ready.push((Date.now() - t) / 1000);
    console.log(
      `reboot ${i + 1}/${runs}: API back after ${apiBack.at(-1)!.toFixed(2)} s, control plane whole after ${ready.at(-1)!.toFixed(2)} s`,
    );
  }

  // 10 checkpointed pods on the master, then a separate `bootkube checkpoint` process for the node.
  for (let i = 0; i < 10; i++) {
    await client.request('POST', '/api/v1/namespaces/kube-system/pods', {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `bench-checkpointed-${i}`, annotations: { [ANNOTATIONS.checkpoint]: 'true' } },
        spec: {
          nodeName: env.nodeName,
          tolerations: [{ operator: 'Exists' }],
          containers: [{ name: 'c', image: 'registry.example/app:1', command: ['sleep', 'infinity'] }],
        },
      },
    });
  }
  const node2 = join(env.workDir, 'bench-checkpointer-root');
  await mkdir(join(node2, 'etc/kubernetes'), { recursive: true });
  await cp(join(env.nodeRoot, HOST_PATHS.kubeletKubeconfig), join(node2, HOST_PATHS.kubeletKubeconfig));
  const kubeletPort = env.cluster.node(env.nodeName).kubelet!.podsPort;
  const ds = parseYaml(await readFile(join(env.assetDir, 'manifests/pod-checkpointer.yaml'), 'utf8')) as any;
  // As the rendered DaemonSet runs it: node's flags from its command (`node --lite-mode …`),
  // unless CHECKPOINTER_NODE_FLAGS says otherwise (space-separated; "" for none).
  const command: string[] = ds.spec.template.spec.containers[0].command;
  const dsNodeFlags = command[0] === 'node' ? command.slice(1, command.indexOf('checkpoint') - 1) : [];
  const nodeFlags =
    process.env.CHECKPOINTER_NODE_FLAGS !== undefined
      ? process.env.CHECKPOINTER_NODE_FLAGS.split(' ').filter(Boolean)
      : dsNodeFlags;
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      join(root, 'bin/run.js'),
      'checkpoint',
      '--root-dir',
      node2,
      '--interval',
      '1s',
      '--kubelet-port',
      String(kubeletPort),
      '--container-runtime-endpoint',
      `unix://${join(node2, 'no-cri.sock')}`,
    ],
    {
      env: {
        ...process.env,
        NODE_NAME: env.nodeName,
        POD_NAME: 'pod-checkpointer-bench',
        POD_NAMESPACE: 'kube-system',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const inactive = join(node2, HOST_PATHS.inactiveManifests);
  await until(
    '10 checkpoints written by the process',
    async () => (await readdir(inactive)).filter((f) => f.includes('bench-checkpointed-')).length >= 10,
    60_000,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}\n${stderr}`);
  });
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
    samples.push(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
  }
  child.kill('SIGTERM');
  client.close();
  const rss = { medianMiB: +median(samples).toFixed(1), maxMiB: +Math.max(...samples).toFixed(1) };
  const checkpoints = (await readdir(inactive)).length;
  if (runs > 0)
    console.log(
      `median API back after a reboot: ${median(apiBack).toFixed(2)} s (budget: one checkpointer interval, 5 s, plus the apiserver's start); control plane whole: ${median(ready).toFixed(2)} s`,
    );
  console.log(
    `checkpointer process RSS at steady state with ${checkpoints} checkpoints (node ${[...nodeFlags, 'bootkube checkpoint'].join(' ')}): median ${rss.medianMiB} MiB, max ${rss.maxMiB} MiB (budget 60 MiB)`,
  );
  console.log(
    `BENCH checkpoint ${JSON.stringify({ runs, apiBackS: { median: median(apiBack), min: Math.min(...apiBack), max: Math.max(...apiBack) }, wholeS: { median: median(ready), min: Math.min(...ready), max: Math.max(...ready) }, rss, checkpoints })}`,
  );
} finally {
  await env.stop();
}
