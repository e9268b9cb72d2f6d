// docs/disaster-recovery.md stays true: every ```sh block of it is run as written, against the test
// cluster (support.ts), with only the addresses and host paths of a real master replaced by the
// test's. `bootkube` is this checkout's CLI. `bootkube start --asset-dir DIR` lines are checked the
// way start begins, by loading DIR with start's own loader (start itself is tested in test/bootstrap).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { loadAssetDir } from '../../src/bootstrap/asset-dir.js';
import { REPO_ROOT } from '../helpers/run-command.js';
import { bootkubeCluster, writeApiserverCheckpoint, type Cluster } from './support.js';

const DOC = join(REPO_ROOT, 'docs/disaster-recovery.md');
const SCENARIOS = [
  'etcd',
  'backup-save',
  'backup-restore-etcd',
  'backup-recover',
  'apiserver',
  'checkpoints',
];

/** The doc's ```sh blocks, each with the scenario named in the `<!-- scenario: X -->` line before it. */
function scenarios(markdown: string): Map<string, string[]> {
  const blocks = [...markdown.matchAll(/(?:<!-- scenario: ([\w-]+) -->\s*)?```sh\n([\s\S]*?)```/g)];
  const out = new Map<string, string[]>();
  for (const [, name, body] of blocks) {
    assert.ok(name, `every sh block of the doc is run by this test; one has no scenario marker:\n${body}`);
    const commands = body!
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    out.set(name!, commands);
  }
  return out;
}

let c: Cluster;
let docs: Map<string, string[]>;
let bin: string;
let cwd: string;
before(async () => {
  docs = scenarios(await readFile(DOC, 'utf8'));
  c = await bootkubeCluster();
  bin = join(c.work, 'bin');
  await mkdir(bin);
  await writeFile(
    join(bin, 'bootkube'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(REPO_ROOT, 'bin/dev.js')}" "$@"\n`,
  );
  await chmod(join(bin, 'bootkube'), 0o755);
});

/** A fresh working dir for a scenario, as the operator's: the asset dir render wrote is ./assets. */
async function operatorDir(name: string): Promise<void> {
  cwd = join(c.work, `operator-${name}`);
  await mkdir(cwd);
  await symlink(c.assets, join(cwd, 'assets'));
}
after(async () => {
  await c?.close();
});

/** The doc's text with a real master's addresses and paths replaced by the test's. */
function substitute(command: string): string {
  const node = join(c.work, 'node');
  return command
    .replaceAll('https://10.0.0.10:2379', c.etcd.endpoint)
    .replaceAll('/etc/kubernetes/kubeconfig', join(node, 'etc/kubernetes/kubeconfig'))
    .replaceAll('--checkpoint-dir /etc/kubernetes', `--checkpoint-dir ${join(node, 'etc/kubernetes')}`)
    .replaceAll('/var/lib/etcd', join(cwd, 'var-lib-etcd'));
}

async function runScenario(name: string): Promise<string[]> {
  const commands = docs.get(name);
  assert.ok(commands?.length, `the doc has the ${name} scenario`);
  const started: string[] = [];
  for (const raw of commands) {
    const command = substitute(raw);
    const start = /^bootkube start --asset-dir (\S+)$/.exec(command);
    if (start) {
      await loadAssetDir(join(cwd, start[1]!));
      started.push(start[1]!);
      continue;
    }
    await promisify(execFile)('sh', ['-ec', command], {
      cwd,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      timeout: 120_000,
    }).catch((err: { stderr?: string; message: string }) => {
      assert.fail(`${name}: \`${raw}\` failed: ${err.stderr || err.message}`);
    });
  }
  return started;
}

describe('docs/disaster-recovery.md', () => {
  test('has every scenario, and nothing else to run', () => {
    assert.deepEqual([...docs.keys()].sort(), [...SCENARIOS].sort(), 'the scenarios of the doc');
  });

  test('every master down, etcd fine: recover from etcd, then start', async () => {
    await operatorDir('etcd');
    assert.deepEqual(await runScenario('etcd'), ['recovered'], 'start runs on the recovered dir');
  });

  test('etcd lost too: snapshot, restore etcd, recover from the file, then start', async () => {
    await operatorDir('backup');
    await runScenario('backup-save');
    assert.ok((await stat(join(cwd, 'snapshot.db'))).size > 0, 'the snapshot was saved');
    await runScenario('backup-restore-etcd');
    assert.ok((await stat(join(cwd, 'var-lib-etcd/restored/member'))).isDirectory(), 'etcd data restored');
    assert.deepEqual(await runScenario('backup-recover'), ['recovered'], 'start runs on the recovered dir');
  });

  test('the apiserver still runs: recover through it, then start', async () => {
    await operatorDir('apiserver');
    await c.startApi();
    try {
      assert.deepEqual(await runScenario('apiserver'), ['recovered'], 'start runs on the recovered dir');
    } finally {
      await c.stopApi();
    }
  });

  test('only the checkpoints are left: recover from them, then start', async () => {
    await operatorDir('checkpoints');
    await writeApiserverCheckpoint(c, join(c.work, 'node'));
    assert.deepEqual(await runScenario('checkpoints'), ['recovered'], 'start runs on the recovered dir');
    const asset = await loadAssetDir(join(cwd, 'recovered'));
    assert.equal(asset.bootstrapPods.length, 3, 'all three components recovered');
  });
});
