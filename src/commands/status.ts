import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { EXIT } from '../cli/exit-codes.js';
import { clusterStatus, formatStatus, openCluster, type StatusReport } from '../status/index.js';

export default class Status extends BaseCommand {
  static override summary = 'Show on one screen whether the self-hosted control plane is healthy.';
  static override description = `Through the cluster's admin kubeconfig: the API's /readyz (every check) and etcd's health as the API reports it; for every master (nodes labelled node-role.kubernetes.io/control-plane) its kube-apiserver, kube-scheduler, kube-controller-manager and pod-checkpointer pods with their readiness, and the active checkpoints (mirror pods with checkpointer.alpha.coreos.com/checkpoint-of): the checkpointer's own is always active; another one is "standing in" while its self-hosted pod does not run, and STALE when that pod runs and the checkpoint was not stepped down; the DaemonSets and Deployments; when the served certificate and those in the control plane's Secrets expire.

Exits 1 when anything is unhealthy (each problem is listed), 2 when the kubeconfig is missing or the API refuses it.`;

  static override examples = [
    '<%= config.bin %> status --kubeconfig assets/auth/kubeconfig',
    '<%= config.bin %> status --kubeconfig assets/auth/kubeconfig --json',
  ];

  static override flags = {
    kubeconfig: Flags.string({
      description: "the cluster's admin kubeconfig (e.g. assets/auth/kubeconfig)",
      env: 'KUBECONFIG',
    }),
  };

  async run(): Promise<StatusReport> {
    const { flags } = await this.parse(Status);
    const cluster = await openCluster(flags.kubeconfig);
    let report: StatusReport;
    try {
      report = await clusterStatus(cluster, new Date());
    } finally {
      cluster.close();
    }
    if (!this.jsonEnabled()) this.log(formatStatus(report));
    if (!report.healthy) process.exitCode = EXIT.failure;
    return report;
  }
}
