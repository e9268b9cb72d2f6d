import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { nodeNames, SimCluster, type ClusterEvent, type ClusterStats } from '../sim/cluster.js';
import { RealClock } from '../sim/kubelet/clock.js';
import { SimConfigError } from '../sim/kubelet/errors.js';
import { loadKubeconfig, nodeNameOf } from '../sim/kubelet/kubeconfig.js';
import type { ContainerRunner } from '../sim/runtime.js';

export interface SimulateResult {
  nodes: number;
  masters: number;
  rootDir: string;
  /** Seconds it ran. */
  seconds: number;
  stoppedBy: string;
  stats: ClusterStats;
}

export default class Simulate extends BaseCommand {
  static override summary = 'Run simulated kubelets (nodes) against an API server until interrupted.';
  static override description = `Each simulated node makes exactly a 1.32 kubelet's requests (registration, node status, lease, CSINode, pods, pod status, mirror pods, events, tokens), "runs" its pods through the real phases and conditions, runs the static pods of its own dir and serves the kubelet's /pods on its own port. All nodes share one process. Node names are PREFIX0, PREFIX1, …; the first --masters of them register with the control-plane taint and get the control-plane label (set with the kubeconfig's identity, which must be allowed to: use the admin kubeconfig). Every node's host paths (static pods, locks) live under --root-dir/<node>/.

Pod annotations sim.bootkube.dev/* steer what containers do (exit-after, exit-code, ready-after, liveness-fail-after, ignore-sigterm, pull-delay, pull-error); see docs or src/sim/kubelet/annotations.ts. A status line goes to stderr; --json streams events as JSON lines instead.`;

  static override examples = [
    '<%= config.bin %> simulate --kubeconfig assets/auth/kubeconfig --nodes 100 --masters 3',
    '<%= config.bin %> simulate --kubeconfig assets/auth/kubeconfig-kubelet --root-dir /tmp/sim',
    '<%= config.bin %> simulate --kubeconfig assets/auth/kubeconfig --nodes 1000 --speed 1 --duration 300 --json',
  ];

  static override flags = {
    kubeconfig: Flags.string({ description: 'kubeconfig with a client certificate; every node uses it', required: true, env: 'BOOTKUBE_KUBECONFIG' }),
    nodes: Flags.integer({ description: 'how many nodes, masters included', default: 1, min: 1 }),
    masters: Flags.integer({ description: 'how many of them are masters', default: 0, min: 0 }),
    'root-dir': Flags.string({ description: 'where each node keeps its host paths (<dir>/<node>/etc/kubernetes/manifests, …) [default: a temp dir, removed at exit]' }),
    'node-prefix': Flags.string({ description: 'node names are PREFIX0, PREFIX1, … [default: sim-node-, or the name of a node certificate when --nodes 1]' }),
    speed: Flags.string({ description: 'run every kubelet interval this many times faster (tests, rehearsals)', default: '1' }),
    duration: Flags.integer({ description: 'stop after this many seconds (0: until interrupted)', default: 0, min: 0 }),
    'pods-port-base': Flags.integer({ description: 'node i serves /pods on this port + i (0: any free port)', default: 0, min: 0 }),
    'start-rate': Flags.integer({ description: 'nodes started per second', default: 20, min: 1 }),
    lockexec: Flags.string({ description: 'a built lockexec: also run the control-plane stand-ins (kube-apiserver, controller-manager, scheduler)' }),
  };

  // --json streams one event per line, so the result is one line too.
  public override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`);
  }

  async run(): Promise<SimulateResult> {
    const { flags } = await this.parse(Simulate);
    const speed = Number(flags.speed);
    if (!(speed > 0)) throw new SimConfigError(`--speed must be a positive number, got ${flags.speed}`);
    if (flags.masters > flags.nodes) throw new SimConfigError(`--masters ${flags.masters} is more than --nodes ${flags.nodes}`, { hint: '--nodes counts the masters too' });
    const creds = await loadKubeconfig(flags.kubeconfig);
    const certNode = nodeNameOf(creds);
    const names = certNode && flags.nodes === 1 && !flags['node-prefix'] ? [certNode] : nodeNames(flags['node-prefix'] ?? 'sim-node-', flags.nodes);
    const json = this.jsonEnabled();
    const say = (line: string) => process.stderr.write(`${line}\n`);
    if (certNode && names.some((n) => n !== certNode)) say(`warning: the kubeconfig is node ${certNode}'s; the API will refuse the other nodes (use the admin kubeconfig)`);
    const rootDir = flags['root-dir'] ? resolve(flags['root-dir']) : await mkdtemp(join(tmpdir(), 'bootkube-simulate-'));
    const runners = flags.lockexec ? await standIns(resolve(flags.lockexec)) : undefined;
    const cluster = new SimCluster({
      credentials: creds,
      names,
      masters: flags.masters,
      rootDir,
      clock: new RealClock(speed),
      runners,
      startRate: flags['start-rate'],
      podsPortBase: flags['pods-port-base'],
      onEvent: json ? (e: ClusterEvent) => process.stdout.write(`${JSON.stringify(e)}\n`) : undefined,
    });
    const started = Date.now();
    const stop = new AbortController();
    const stoppedBy = new Promise<string>((done) => {
      const on = (sig: string) => () => (done(sig), stop.abort());
      const handlers = { SIGINT: on('SIGINT'), SIGTERM: on('SIGTERM') };
      for (const [sig, h] of Object.entries(handlers)) process.once(sig, h);
      stop.signal.addEventListener('abort', () => {
        for (const [sig, h] of Object.entries(handlers)) process.off(sig, h);
      });
      if (flags.duration) setTimeout(() => (done('duration'), stop.abort()), flags.duration * 1000).unref();
    });
    const line = (s: ClusterStats) => `nodes ${s.ready}/${s.nodes} Ready · pods ${s.running}/${s.pods} Running · ${s.requestsPerSecond} req/s`;
    const tty = process.stderr.isTTY && !json;
    const ticker = setInterval(() => {
      if (json) return;
      const text = line(cluster.stats());
      if (tty) process.stderr.write(`\r${text}\x1b[K`);
      else say(text);
    }, tty ? 1000 : 10_000);
    try {
      await Promise.race([cluster.start(), stoppedBy]);
      const by = await stoppedBy;
      const stats = cluster.stats();
      if (tty) process.stderr.write('\n');
      if (!json) this.log(`Stopped (${by}) after ${Math.round((Date.now() - started) / 1000)} s: ${line(stats)}`);
      return { nodes: names.length, masters: flags.masters, rootDir, seconds: Math.round((Date.now() - started) / 100) / 10, stoppedBy: by, stats };
    } finally {
      clearInterval(ticker);
      stop.abort();
      await cluster.stop();
      if (!flags['root-dir']) await rm(rootDir, { recursive: true, force: true });
    }
  }
}

// The stand-ins (src/sim/standins) need a built lockexec to run kube-apiserver behind the lock.
async function standIns(lockexecPath: string): Promise<() => ContainerRunner[]> {
  const { standInRunners } = await import('../sim/standins/index.js');
  const runners = standInRunners({ lockexecPath });
  return () => runners;
}
