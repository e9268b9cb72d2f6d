/**
 * A child process for crash tests: renders into argv[2] and, when argv[3] names a write stage,
 * kills itself with SIGKILL right after that stage (a power cut at a precise point).
 */
import { loadClusterConfig } from '../../src/config/index.js';
import { render } from '../../src/render/render.js';

const [assetDir, stage, force] = process.argv.slice(2);
const config = await loadClusterConfig({ flags: { 'key-type': 'ecdsa-p256', 'node-name': 'master-0' }, bootkubeVersion: '0.0.0' });
await render({
  config,
  assetDir: assetDir!,
  force: force === 'force',
  onStage: (s) => {
    if (s === stage) process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write('done\n');
