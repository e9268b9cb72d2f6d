/**
 * npm run bench:simulate — `bootkube simulate --nodes 1000` against `bootkube shim` on a real etcd,
 * each in its own process, for 5 minutes at real speed (kubelet intervals as a real kubelet's).
 * One pod is bound to every node. Prints the nodes Ready (the minimum seen once all were), the
 * pods Running, the kubelets' requests per second, and the CPU and memory of both processes (and
 * etcd's). Env: BENCH_NODES (1000), BENCH_SECONDS (300), BENCH_SPEED (1), BENCH_STORAGE (etcd, or
 * memory to take etcd out of the picture). Never fails on time; it exits 1 only if some node was
 * not Ready at a check after all had been (a check the API could not answer counts as unknown).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClusterConfig } from '../../src/config/index.js';
import { render } from '../../src/render/render.js';
import { ApiClient } from '../../src/sim/kubelet/api-client.js';
import { loadKubeconfig } from '../../src/sim/kubelet/kubeconfig.js';
import { startEtcd } from '../helpers/etcd.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NODES = Number(process.env.BENCH_NODES ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 300);
const SPEED = process.env.BENCH_SPEED ?? '1';
const MEMORY = process.env.BENCH_STORAGE === 'memory';
const CLK_TCK = 100;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** CPU seconds and resident MiB of a process, from /proc. */
function usage(pid: number): { cpuS: number; rssMiB: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuS, rssMiB: rss ? Number(rss[1]) / 1024 : 0 };
  } catch {
    return { cpuS: 0, rssMiB: 0 };
  }
}

function bootkube(args: string[], onLine: (line: string, stream: 'out' | 'err') => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', '--no-warnings=ExperimentalWarning', join(root, 'bin/dev.js'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const [stream, name] of [[child.stdout!, 'out'], [child.stderr!, 'err']] as const) {
    let buf = '';
    stream.setEncoding('utf8').on('data', (s: string) => {
      buf += s;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl), name);
        buf = buf.slice(nl + 1);
      }
    });
  }
  return child;
}

const work = await mkdtemp(join(tmpdir(), 'bench-simulate-'));
const etcd = await startEtcd();
const children: ChildProcess[] = [];
let failed = false;
try {
  const port = await freePort();
  const assetDir = join(work, 'assets');
  const config = await loadClusterConfig({ flags: { 'node-name': 'sim-node-0', 'key-type': 'ecdsa-p256', 'api-servers': `https://127.0.0.1:${port}`, 'etcd-servers': etcd.endpoint }, bootkubeVersion: '0.1.0' });
  await render({ config, assetDir, force: false });
  const kubeconfig = join(assetDir, 'auth/kubeconfig');

  let serving!: () => void;
  const up = new Promise<void>((r) => (serving = r));
  const shim = bootkube(['shim', '--asset-dir', assetDir, ...(MEMORY ? [] : ['--etcd-servers', etcd.endpoint])], (l) => (/Serving the Kubernetes API/.test(l) ? serving() : undefined));
  children.push(shim);
  await up;

  const events = { ready: 0, notReady: 0 };
  const readySeen = new Set<string>();
  let result: any;
  const sim = bootkube(['simulate', '--kubeconfig', kubeconfig, '--nodes', String(NODES), '--masters', '3', '--duration', String(SECONDS + 900), '--speed', SPEED, '--json'], (l, stream) => {
    if (stream === 'err') return void process.stderr.write(`[simulate] ${l}\n`);
    const e = JSON.parse(l);
    if (e.type === 'ready') events.ready++;
    // Every node starts NotReady; a node that was Ready and went NotReady is what counts.
    if (e.type === 'notReady' && readySeen.has(e.node)) events.notReady++;
    if (e.type === 'ready') readySeen.add(e.node);
    if (process.env.BENCH_EVENTS) process.stdout.write(`${l}\n`);
    if (e.stats) result = e;
  });
  children.push(sim);
  const simExited = new Promise<void>((r) => sim.once('exit', () => r()));

  const admin = new ApiClient({ nodeName: 'bench', ...(await loadKubeconfig(kubeconfig)) });
  const readyNodes = async (): Promise<number | undefined> => {
    const r = await admin.request('kube', 'GET', '/api/v1/nodes');
    if (r.status !== 200) return undefined;
    return ((r.body?.items ?? []) as any[]).filter((n) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
  };
  const t0 = Date.now();
  let last = 0;
  for (let ready: number | undefined = 0; (ready = await readyNodes()) !== NODES; ) {
    if (sim.exitCode !== null) throw new Error(`simulate exited (${sim.exitCode}) before every node was Ready`);
    if (Date.now() - t0 > 900_000) throw new Error(`only ${ready}/${NODES} nodes became Ready within 15 minutes`);
    if (Date.now() - last > 10_000) {
      last = Date.now();
      const u = usage(sim.pid!);
      console.log(`${Math.round((last - t0) / 1000)} s: ${ready}/${NODES} Ready (${events.ready} ready events), simulate ${u.cpuS.toFixed(0)} CPU s, ${u.rssMiB.toFixed(0)} MiB; shim ${usage(shim.pid!).cpuS.toFixed(0)} CPU s`);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  const allReadyS = (Date.now() - t0) / 1000;
  console.log(`all ${NODES} nodes Ready after ${allReadyS.toFixed(1)} s; binding one pod to each`);
  for (let i = 0; i < NODES; i++) {
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `bench-${i}`, namespace: 'default' }, spec: { nodeName: `sim-node-${i}`, automountServiceAccountToken: false, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } };
    await admin.request('kube', 'POST', '/api/v1/namespaces/default/pods', { body });
  }

  const start = { shim: usage(shim.pid!), sim: usage(sim.pid!), etcd: usage(etcd.pid), at: Date.now() };
  const peak = { shim: 0, sim: 0, etcd: 0 };
  let minReady = NODES;
  let staleLeases = 0;
  let unanswered = 0;
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10_000));
    const ready = await readyNodes();
    if (ready === undefined) unanswered++;
    else minReady = Math.min(minReady, ready);
    const leaseList = await admin.request('kube', 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases');
    const leases = (leaseList.status === 200 ? leaseList.body.items : []) as any[];
    const stale = leaseList.status === 200 ? leases.filter((l) => Date.now() - Date.parse(l.spec.renewTime) > 40_000).length : 0;
    staleLeases = Math.max(staleLeases, stale);
    for (const [k, pid] of [['shim', shim.pid!], ['sim', sim.pid!], ['etcd', etcd.pid]] as const) peak[k] = Math.max(peak[k], usage(pid).rssMiB);
    const s = usage(sim.pid!);
    console.log(`${Math.round((Date.now() - start.at) / 1000)} s: ${ready ?? '?'}/${NODES} Ready, ${stale} stale leases, simulate RSS ${s.rssMiB.toFixed(0)} MiB`);
  }
  const wall = (Date.now() - start.at) / 1000;
  const cpu = (k: 'shim' | 'sim' | 'etcd', pid: number) => ((usage(pid).cpuS - start[k].cpuS) / wall) * 100;
  const figures = {
    nodes: NODES,
    seconds: Math.round(wall),
    allReadyAfterS: allReadyS,
    minReady,
    unansweredChecks: unanswered,
    storage: MEMORY ? 'memory' : 'etcd',
    notReadyEvents: events.notReady,
    maxStaleLeases: staleLeases,
    shim: { cpuPercent: cpu('shim', shim.pid!), peakRssMiB: peak.shim },
    simulate: { cpuPercent: cpu('sim', sim.pid!), peakRssMiB: peak.sim },
    etcd: { cpuPercent: cpu('etcd', etcd.pid), peakRssMiB: peak.etcd },
  };
  sim.kill('SIGINT');
  await simExited;
  Object.assign(figures, { pods: result?.stats?.pods, podsRunning: result?.stats?.running, requests: result?.stats?.requests, requestsPerSecond: result ? Math.round(result.stats.requests / result.seconds) : undefined });
  console.log(
    `simulate ${NODES} nodes for ${figures.seconds} s: min ${minReady}/${NODES} Ready, ${figures.maxStaleLeases} stale leases at worst; ` +
      `pods ${result?.stats?.running}/${result?.stats?.pods} Running; ${(figures as any).requestsPerSecond} req/s; ` +
      `simulate ${figures.simulate.cpuPercent.toFixed(0)} % CPU, ${figures.simulate.peakRssMiB.toFixed(0)} MiB; ` +
      `shim ${figures.shim.cpuPercent.toFixed(0)} % CPU, ${figures.shim.peakRssMiB.toFixed(0)} MiB; etcd ${figures.etcd.cpuPercent.toFixed(0)} % CPU, ${figures.etcd.peakRssMiB.toFixed(0)} MiB`,
  );
  console.log(`BENCH simulate ${JSON.stringify(figures)}`);
  failed = minReady < NODES;
  admin.closeIdle(true);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGINT');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await etcd.stop();
  await rm(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
