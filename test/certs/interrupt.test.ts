import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inventory, renew } from '../../src/certs/index.js';
import { verifyPkiFiles } from '../../src/pki/index.js';
import { REPO_ROOT } from '../helpers/run-command.js';
import { waitFor } from '../helpers/wait.js';
import { DAY, renderAssets } from './support.js';

const CHILD = join(REPO_ROOT, 'test/certs/renew-crash-child.ts');
let work: string;
let assets: string;
/** Fingerprints of the rendered (old) tls/ certificates, by name. */
let old: Map<string, string>;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'certs-crash-'));
  assets = join(work, 'assets');
  await renderAssets(assets, new Date(Date.now() - 100 * DAY));
  old = await fingerprints(assets);
});
after(() => rm(work, { recursive: true, force: true }));

async function fingerprints(dir: string): Promise<Map<string, string>> {
  const inv = await inventory(dir);
  return new Map(
    inv.certificates.filter((c) => c.source === 'tls').map((c) => [c.name, c.sha256Fingerprint]),
  );
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

function runChild(
  dir: string,
  stage: string,
  killAfterMs?: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, stage], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/**
 * The asset dir (put back by the inventory if a crash left it aside) is wholly old or wholly new:
 * its tls/ files fit together, every embedded copy is its tls/ file, and the leaves are all old or all renewed.
 */
async function assertOldOrNew(dir: string): Promise<'old' | 'new'> {
  const inv = await inventory(dir);
  assert.deepEqual(
    inv.certificates.filter((c) => c.differs).map((c) => c.name),
    [],
    'every copy equals its tls/ file',
  );
  const tlsFiles = [];
  for (const rel of await readdir(join(dir, 'tls'), { recursive: true })) {
    if (/\.(crt|key|pub)$/.test(rel))
      tlsFiles.push({ path: `tls/${rel}`, content: await readFile(join(dir, 'tls', rel), 'utf8'), mode: 0 });
  }
  verifyPkiFiles(tlsFiles);
  const now = await fingerprints(dir);
  const leaves = inv.certificates.filter((c) => c.source === 'tls' && !c.isCa).map((c) => c.name);
  const renewed = leaves.filter((n) => now.get(n) !== old.get(n));
  assert.ok(
    renewed.length === 0 || renewed.length === leaves.length,
    `a mix: ${renewed.length} of ${leaves.length} leaves renewed`,
  );
  for (const ca of ['ca', 'front-proxy-ca', 'etcd/ca']) assert.equal(now.get(ca), old.get(ca));
  return renewed.length === 0 ? 'old' : 'new';
}

describe('a renew killed -9', () => {
  for (const [stage, expected] of [
    ['staged', 'old'],
    ['moved-old', 'old'],
    ['swapped', 'new'],
  ] as const) {
    it(`after "${stage}" leaves the ${expected} asset dir, consistent`, async () => {
      const dir = join(work, `stage-${stage}`);
      await cp(assets, dir, { recursive: true });
      const r = await runChild(dir, stage);
      assert.equal(r.signal, 'SIGKILL');
      // Between the two renames the asset dir is aside; the next certs command puts it back.
      assert.equal(await exists(dir), stage !== 'moved-old');
      assert.equal(await assertOldOrNew(dir), expected);
      assert.ok(await exists(join(dir, 'tls/ca.crt')));
    });
  }

  it('at random moments never leaves a mix, and the next renew completes and cleans up', async () => {
    for (let i = 0; i < 6; i++) {
      const dir = join(work, `random-${i}`);
      await cp(assets, dir, { recursive: true });
      await runChild(dir, '', 400 + Math.floor(Math.random() * 1400));
      await assertOldOrNew(dir);
    }
    // The killed run's single-run lock goes stale within seconds; then a renew succeeds.
    const dir = join(work, 'random-0');
    await waitFor(
      () =>
        renew(dir, 'all', new Date()).then(
          () => true,
          (e: Error & { code?: string }) => {
            if (e.code === 'ALREADY_RUNNING') return false;
            throw e;
          },
        ),
      { timeoutMs: 20_000, intervalMs: 250, what: 'the stale lock of the killed renew' },
    );
    assert.equal(await assertOldOrNew(dir), 'new');
    assert.deepEqual(
      (await readdir(work)).filter((n) => n.startsWith('.random-0')),
      [],
      'staging and old dirs cleaned',
    );
  });
});
