import { BaseCommand } from '../../cli/base-command.js';
import { apiServerConfigFromFlags, runStandInApiServer } from '../../sim/standins/apiserver-process.js';

/**
 * Internal: the simulation's kube-apiserver stand-in process. The simulated kubelet runs it through
 * the pod's lockexec with kube-apiserver's own flags (file paths mapped to the node's host paths),
 * so it takes the API hand-off lock for exactly its lifetime (DESIGN §3, §5).
 */
export default class SimApiserver extends BaseCommand {
  static override hidden = true;
  static override summary =
    "Serve bootkube's API server in stand-in mode with kube-apiserver's flags (used by the simulation).";
  // kube-apiserver has some hundred flags; the stand-in reads the few it needs and ignores the rest.
  static override strict = false;

  async run(): Promise<{ address?: { host: string; port: number } }> {
    // Not strict: oclif hands every kube-apiserver flag back as a raw argument.
    const { argv } = await this.parse(SimApiserver);
    const cfg = apiServerConfigFromFlags(argv as string[]);
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    // Started by a simulation: end with it, even if it died without a SIGTERM (its pipe closes).
    if (process.env.BOOTKUBE_SIM_PARENT_PIPE === '1') {
      process.stdin.on('end', onSignal).on('close', onSignal).on('error', onSignal).resume();
    }
    let address: { host: string; port: number } | undefined;
    await runStandInApiServer(cfg, {
      signal: stop.signal,
      log: (line) => process.stderr.write(`${line}\n`),
      onListening: (a) => (address = a),
    });
    process.stdin.destroy();
    return { address };
  }
}
