/**
 * A child process for crash tests: renews every leaf of the asset dir argv[2] and, when argv[3]
 * names a write stage, kills itself with SIGKILL right after that stage (a power cut at a precise point).
 */
import { renew } from '../../src/certs/index.js';

const [assetDir, stage] = process.argv.slice(2);
await renew(assetDir!, 'all', new Date(), {
  onStage: (s) => {
    if (s === stage) process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write('done\n');
