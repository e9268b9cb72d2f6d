import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Reset from '../../src/commands/reset.js';
import type { ResetPlan, ResetResult } from '../../src/reset/index.js';
import { REPO_ROOT, runCommand } from '../helpers/run-command.js';
import { OURS, prepareRoot, tree } from '../reset/support.js';

let work: string;
let n = 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'reset-cmd-'));
});
after(() => rm(work, { recursive: true, force: true }));

async function freshRoot(): Promise<string> {
  const root = join(work, `root-${n++}`);
  await prepareRoot(root, work);
  return root;
}

function minus(before: Map<string, string>, removed: string[]): Map<string, string> {
  return new Map([...before].filter(([p]) => !removed.some((r) => p === r || p.startsWith(`${r}/`))));
}

describe('bootkube reset', () => {
  it('without a terminal and without --force: lists the paths, then refuses in one line (exit 2), removing nothing', async () => {
    const root = await freshRoot();
    const before = await tree(root);
    const r = await runCommand(Reset, ['--root-dir', root]);
    assert.equal(r.exitCode, 2);
    assert.match(r.stdout, new RegExp(`^bootkube put these ${OURS.length} paths under ${root}:$`, 'm'));
    for (const path of OURS) assert.ok(r.stdout.includes(`  ${path}`), path);
    assert.match(r.stdout, /^Not touched: etcd data \(\/var\/lib\/etcd\)/m);
    assert.equal(
      r.stderr,
      `Error: reset needs a yes to remove the ${OURS.length} listed paths, and stdin is not a terminal to ask on: pass --force to remove them without asking\n`,
    );
    assert.deepEqual(await tree(root), before);
  });

  it('with --force removes exactly what it listed; --json gives the plan and the result', async () => {
    const root = await freshRoot();
    const before = await tree(root);
    const r = await runCommand(Reset, ['--root-dir', root, '--force', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { plan: ResetPlan; result: ResetResult };
    assert.deepEqual(
      out.plan.entries.map((e) => e.hostPath),
      OURS,
    );
    assert.deepEqual(
      out.result.removed.map((e) => e.hostPath),
      OURS,
    );
    assert.deepEqual(await tree(root), minus(before, OURS));
    assert.ok((await tree(root)).has('/var/lib/etcd/member/snap/db'), 'etcd data stays');
  });

  it('finds nothing on a clean root and exits 0', async () => {
    const root = join(work, 'clean');
    await mkdir(join(root, 'etc/kubernetes/manifests'), { recursive: true });
    const r = await runCommand(Reset, ['--root-dir', root]);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, `Nothing of bootkube's found under ${root}.\n`);
  });

  it('refuses a --root-dir that does not exist with exit 2 and one line', async () => {
    const r = await runCommand(Reset, ['--root-dir', join(work, 'nope'), '--force']);
    assert.equal(r.exitCode, 2);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^Error: --root-dir .*nope: does not exist: give \/ on a node, or the root prefix bootkube start was given\n$/,
    );
  });

  // A real terminal, through util-linux script(1): the prompt, and the answer typed into it.
  const script = spawnSync('script', ['--version']).status === 0;
  const onTty = (root: string, answer: string) =>
    spawnSync(
      'script',
      ['-qec', `${process.execPath} --import tsx bin/dev.js reset --root-dir ${root}`, '/dev/null'],
      {
        cwd: REPO_ROOT,
        input: answer,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );

  it(
    'on a terminal asks "Remove these N paths? [y/N]" and removes them on y',
    { skip: !script && 'no script(1)' },
    async () => {
      const root = await freshRoot();
      const before = await tree(root);
      const r = onTty(root, 'y\n');
      assert.equal(r.status, 0, r.stdout);
      assert.ok(r.stdout.includes(`Remove these ${OURS.length} paths? [y/N] `), r.stdout);
      assert.match(r.stdout, new RegExp(`Removed ${OURS.length} paths\\.`));
      assert.deepEqual(await tree(root), minus(before, OURS));
    },
  );

  it(
    'on a terminal removes nothing on any other answer, and exits 1',
    { skip: !script && 'no script(1)' },
    async () => {
      const root = await freshRoot();
      const before = await tree(root);
      const r = onTty(root, 'n\n');
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stdout, /Error: reset aborted: nothing was removed/);
      assert.deepEqual(await tree(root), before);
    },
  );
});
