import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/run-command.js';

const CHILD = join(REPO_ROOT, 'test/helpers/render-crash-child.ts');
let work: string;
let reference: string[];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'render-crash-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, join(work, 'reference')], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  reference = await files(join(work, 'reference'));
});
after(() => rm(work, { recursive: true, force: true }));

async function files(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await files(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

const exists = (p: string) => stat(p).then(() => true, () => false);

function runChild(args: string[], killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: REPO_ROOT, stdio: 'ignore' });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** A present asset dir is complete (or, when given, still exactly the old one). */
async function assertOldOrNew(dir: string): Promise<void> {
  if (await exists(dir)) assert.deepEqual(await files(dir), reference, 'a present asset dir is complete');
}

describe('an interrupted render', () => {
  for (const stage of ['staged', 'swapped']) {
    it(`killed -9 after "${stage}" leaves no asset dir or a complete one, and the next render succeeds`, async () => {
      const dir = join(work, `stage-${stage}`);
      const r = await runChild([dir, stage]);
      assert.equal(r.signal, 'SIGKILL');
      await assertOldOrNew(dir);
      assert.equal(await exists(dir), stage === 'swapped');
      const again = await runChild([dir, '', 'force']);
      assert.equal(again.code, 0);
      assert.deepEqual(await files(dir), reference);
      assert.deepEqual((await readdir(work)).filter((n) => n.startsWith(`.stage-${stage}`)), [], 'leftovers cleaned');
    });
  }

  it('killed -9 between moving the old dir away and renaming the new one in: the old dir comes back', async () => {
    const dir = join(work, 'replace');
    await mkdir(dir);
    await writeFile(join(dir, 'precious.txt'), 'old state');
    const r = await runChild([dir, 'moved-old', 'force']);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(await exists(dir), false, 'caught between the renames');
    // The next render (without --force) first puts the old dir back, then refuses to overwrite it.
    const again = await runChild([dir, '']);
    assert.equal(again.code, 1);
    assert.equal(await readFile(join(dir, 'precious.txt'), 'utf8'), 'old state');
    assert.deepEqual((await readdir(work)).filter((n) => n.startsWith('.replace')), []);
  });

  it('killed -9 at random moments never leaves a partial asset dir', async () => {
    for (let i = 0; i < 12; i++) {
      const dir = join(work, `random-${i}`);
      await runChild([dir, ''], 150 + Math.floor(Math.random() * 900));
      await assertOldOrNew(dir);
      const again = await runChild([dir, '', 'force']);
      assert.equal(again.code, 0, `run ${i} after the kill`);
      assert.deepEqual(await files(dir), reference);
    }
    assert.deepEqual((await readdir(work)).filter((n) => n.startsWith('.')), [], 'no staging dir survives a later render');
  });
});
