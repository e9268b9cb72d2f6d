/**
 * What kube-controller-manager and kube-scheduler stand-ins read from their flags alike: the client
 * of `--kubeconfig` (its files mapped to the node's host paths), the leader-election settings
 * (`--leader-elect*`, component-base defaults 15 s / 10 s / 2 s on a Lease in kube-system), and the
 * identity client-go's callers use: `<hostname>_<uuid>`.
 */
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { ContainerContext } from '../runtime.js';
import { KubeClient } from './client/client.js';
import { loadKubeconfig } from './client/kubeconfig.js';
import { StandInConfigError } from './errors.js';
import { parseComponentFlags, type ComponentFlags } from './flags.js';
import { apiLeaseStore, runLeaderElection } from './leader-election.js';
import { hostFile, podHostname } from './paths.js';

export interface LeaderElectionSettings {
  enabled: boolean;
  namespace: string;
  name: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface ComponentSetup {
  flags: ComponentFlags;
  client: KubeClient;
  identity: string;
  leaderElection: LeaderElectionSettings;
}

export interface SetupOptions {
  /** The API server URL to use instead of the kubeconfig's (several simulated masters on one machine). */
  apiServer?: (ctx: ContainerContext) => string | undefined;
}

/** Parses the flags, reads the kubeconfig and builds the client; StandInConfigError when the kubeconfig is missing or unreadable. */
export async function setUpComponent(
  ctx: ContainerContext,
  args: readonly string[],
  component: string,
  opts: SetupOptions = {},
): Promise<ComponentSetup> {
  const flags = parseComponentFlags(args);
  const kubeconfig = flags.get('kubeconfig');
  if (!kubeconfig) {
    throw new StandInConfigError(`${component}: no --kubeconfig`, {
      hint: 'the stand-in has no in-cluster service-account credentials',
    });
  }
  const config = await loadKubeconfig(
    hostFile(ctx, kubeconfig),
    (p) => hostFile(ctx, p),
    dirname(kubeconfig),
  );
  const server = opts.apiServer?.(ctx) ?? config.server;
  const identity = `${podHostname(ctx)}_${randomUUID()}`;
  return {
    flags,
    client: new KubeClient({ ...config, server, userAgent: `${component}/${identity}` }),
    identity,
    leaderElection: {
      enabled: flags.bool('leader-elect', true),
      namespace: flags.get('leader-elect-resource-namespace') ?? 'kube-system',
      name: flags.get('leader-elect-resource-name') ?? component,
      leaseDurationMs: flags.durationMs('leader-elect-lease-duration', 15_000),
      renewDeadlineMs: flags.durationMs('leader-elect-renew-deadline', 10_000),
      retryPeriodMs: flags.durationMs('leader-elect-retry-period', 2_000),
    },
  };
}

/**
 * Runs `lead` while this instance leads (or for ever without leader election), until `signal`
 * aborts: 'lost' when leadership was lost (the real components exit then, and the kubelet restarts
 * them), 'stopped' otherwise.
 */
export async function whileLeading(
  setup: ComponentSetup,
  signal: AbortSignal,
  lead: (signal: AbortSignal) => Promise<void>,
  opts: { releaseOnCancel: boolean; kill: AbortSignal; log: (line: string) => void },
): Promise<'lost' | 'stopped'> {
  const le = setup.leaderElection;
  if (!le.enabled) {
    await lead(signal);
    return 'stopped';
  }
  let running: Promise<void> = Promise.resolve();
  const outcome = await runLeaderElection(
    {
      lock: apiLeaseStore(setup.client, le.namespace, le.name),
      identity: setup.identity,
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      // A killed process releases nothing; only a graceful stop gives the Lease back.
      releaseOnCancel: () => opts.releaseOnCancel && !opts.kill.aborted,
      log: opts.log,
      onStartedLeading: (leading) => {
        opts.log(`started leading as ${setup.identity}`);
        running = lead(leading).catch((err: Error) => opts.log(`stopped with error: ${err.message}`));
      },
      onNewLeader: (id) => {
        if (id !== setup.identity) opts.log(`new leader elected: ${id}`);
      },
    },
    signal,
  );
  await running;
  return outcome === 'lost' ? 'lost' : 'stopped';
}
