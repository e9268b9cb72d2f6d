/**
 * The flags of `bootkube checkpoint`, as one table that both the oclif command and the lean entry
 * (main.ts) read, and what they make of them. Light on purpose: oclif imports it to list commands.
 */
import { parseDuration } from '../cli/duration.js';
import { InputError } from '../errors.js';
import type { CheckpointerOptions } from './daemon.js';
import type { Logger } from './types.js';

export interface CheckpointFlag {
  description: string;
  default?: string;
  integer?: boolean;
}

export const CHECKPOINT_FLAGS = {
  'root-dir': { description: 'prefix of every host path it reads, writes and locks', default: '/' },
  kubeconfig: {
    description: "the node's kubelet kubeconfig [default: <root-dir>/etc/kubernetes/kubeconfig]",
  },
  'lock-file': {
    description: 'the one-per-node lock [default: <root-dir>/var/lock/bootkube/pod-checkpointer.lock]',
  },
  'container-runtime-endpoint': {
    description: 'CRI socket',
    default: 'unix:///run/containerd/containerd.sock',
  },
  'checkpoint-grace-period': {
    description: 'how long a checkpoint whose parent was deleted is kept',
    default: '1m',
  },
  interval: { description: 'time between two passes', default: '5s' },
  'kubelet-port': {
    description: "the kubelet's authenticated port, for its /pods",
    default: '10250',
    integer: true,
  },
} as const satisfies Record<string, CheckpointFlag>;

export type CheckpointFlags = { [K in keyof typeof CHECKPOINT_FLAGS]?: string };

export class CheckpointFlagError extends InputError {
  readonly code = 'CHECKPOINT_FLAG_INVALID';
}

/** The daemon's options from the flags (strings, as given) and the environment; bad values are InputErrors. */
export function checkpointerOptions(
  flags: CheckpointFlags,
  env: NodeJS.ProcessEnv,
  log: Logger,
  signal: AbortSignal,
): CheckpointerOptions {
  const value = (name: keyof typeof CHECKPOINT_FLAGS): string | undefined =>
    flags[name] ?? (CHECKPOINT_FLAGS[name] as CheckpointFlag).default;
  const port = Number(value('kubelet-port'));
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CheckpointFlagError(`--kubelet-port "${value('kubelet-port')}": not a port`, {
      hint: 'give a number from 1 to 65535',
    });
  const options: CheckpointerOptions = {
    rootDir: value('root-dir'),
    kubeconfig: value('kubeconfig'),
    lockFile: value('lock-file'),
    containerRuntimeEndpoint: value('container-runtime-endpoint'),
    gracePeriodMs: parseDuration(value('checkpoint-grace-period')!, '--checkpoint-grace-period'),
    intervalMs: parseDuration(value('interval')!, '--interval'),
    kubeletPort: port,
    env,
    log,
    signal,
  };
  return options;
}
