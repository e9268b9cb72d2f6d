/** What `start` is given, with the defaults DESIGN §3 implies. */
import type { Storage } from '../apiserver/storage/index.js';
import { NAMESPACE } from '../render/constants.js';

export type Phase =
  | 'preflight'
  | 'lock'
  | 'shim'
  | 'bootstrap-pods'
  | 'handoff-1'
  | 'self-hosted'
  | 'wait'
  | 'handoff-2'
  | 'verify';

export const PHASES: readonly Phase[] = [
  'preflight',
  'lock',
  'shim',
  'bootstrap-pods',
  'handoff-1',
  'self-hosted',
  'wait',
  'handoff-2',
  'verify',
];

/** Per-phase limits, ms. Generous where a real node pulls images; a rehearsal finishes in seconds. */
export const DEFAULT_TIMEOUTS: Record<Phase, number> = {
  preflight: 30_000,
  lock: 30_000,
  shim: 30_000,
  'bootstrap-pods': 300_000,
  'handoff-1': 180_000,
  'self-hosted': 180_000,
  wait: 600_000,
  'handoff-2': 300_000,
  verify: 300_000,
};

/** v0.14's default: the self-hosted control plane, by namespace/name prefix. */
export const DEFAULT_REQUIRED_PODS = [
  'pod-checkpointer',
  'kube-apiserver',
  'kube-scheduler',
  'kube-controller-manager',
].map((p) => `${NAMESPACE}/${p}`);

export interface EtcdAccess {
  servers: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface StartOptions {
  assetDir: string;
  /** Every host path lives under it ('/' on a real master). */
  rootDir: string;
  /** This master's node name (default: the kubelet kubeconfig's system:node:<name>). */
  nodeName?: string;
  /** Default: the etcd the asset dir's apiserver flags name, with the apiserver's etcd client certificate. */
  etcd?: EtcdAccess;
  /** The shim's store in place of etcd (the rehearsal's memory back end); borrowed, never closed. */
  storage?: Storage;
  /** `namespace/name-prefix` of pods that must be Ready at the end. */
  requiredPods: string[];
  /** Any object the API refuses is fatal (default: reported and skipped). */
  strict: boolean;
  /** Replace existing objects that differ from the asset dir (default: report them). */
  updateExisting: boolean;
  timeouts: Record<Phase, number>;
  /** Rehearsals: dial (and serve the shim on) this address instead of the asset dir's. */
  apiDial?: URL;
  signal: AbortSignal;
  /** Progress lines for the current task (listr's task.output). */
  progress?: (line: string) => void;
}
