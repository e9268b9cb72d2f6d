// The static-pod dir is watched: a manifest dropped in runs without the API and gets its mirror
// pod; a changed manifest is a new pod (new hash, new mirror); a removed one is stopped and its
// mirror pod deleted. Files starting with a dot are ignored.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RealClock } from '../../../src/sim/kubelet/clock.js';
import { SimNode } from '../../../src/sim/node.js';
import { eventually, NODE, renderOnce, startShim, type Rendered, type Shim } from './support.js';

let r: Rendered;
let shim: Shim;
let node: SimNode;
let dir: string;

before(async () => {
  r = await renderOnce();
  shim = await startShim(r);
  const root = await mkdtemp(join(r.work, 'root-'));
  dir = join(root, 'etc/kubernetes/manifests');
  await mkdir(dir, { recursive: true });
  node = new SimNode({ name: NODE, rootDir: root, credentials: shim.kubelet, clock: new RealClock(20), nodeIP: '10.0.0.10' });
  await node.start();
});

after(async () => {
  await node?.stop();
  await shim?.destroy();
});

const manifest = (image: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: sp\n  namespace: kube-system\nspec:\n  containers:\n  - name: c\n    image: ${image}\n`;
const mirror = async () => {
  const out = await shim.kubectl('get', 'pods', '-n', 'kube-system', '-o', 'json');
  return (JSON.parse(out.stdout).items as any[]).filter((p) => p.metadata.name === `sp-${NODE}` && !p.metadata.deletionTimestamp);
};

describe('the static-pod dir', () => {
  it('runs a manifest dropped in, and mirrors it', async () => {
    await writeFile(join(dir, '.sp.yaml.swp'), manifest('ignored:1'));
    await writeFile(join(dir, 'sp.yaml'), manifest('nginx:1.27'));
    await eventually(() => node.runtime.runningCount() === 1, 10_000, 'the static pod running');
    const [m] = await eventually(async () => ((await mirror()).length === 1 ? mirror() : undefined), 10_000, 'its mirror pod');
    assert.equal(m.spec.containers[0].image, 'nginx:1.27');
    await eventually(async () => (await mirror())[0]?.status?.phase === 'Running', 10_000, 'the mirror pod showing Running');
  });

  it('replaces the pod and its mirror when the manifest changes', async () => {
    const before = (await mirror())[0].metadata.annotations['kubernetes.io/config.mirror'];
    await writeFile(join(dir, 'sp.yaml'), manifest('nginx:1.28'));
    await eventually(async () => {
      const m = await mirror();
      return m.length === 1 && m[0].metadata.annotations['kubernetes.io/config.mirror'] !== before && m[0].spec.containers[0].image === 'nginx:1.28';
    }, 10_000, 'a new mirror pod for the new hash');
    await eventually(() => node.runtime.runningCount() === 1, 10_000, 'only the new pod running');
  });

  it('stops a removed manifest and deletes its mirror pod', async () => {
    await rm(join(dir, 'sp.yaml'));
    await eventually(() => node.runtime.runningCount() === 0, 10_000, 'the static pod stopped');
    await eventually(async () => (await mirror()).length === 0, 10_000, 'the mirror pod gone');
  });
});
