import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeDirAtomic } from '../../src/fs/atomic-dir.js';
import { writeFileAtomic } from '../../src/fs/atomic-file.js';
import { OutputDirError, WriteError } from '../../src/fs/errors.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'atomic-'));
});
after(() => rm(work, { recursive: true, force: true }));

describe('writeDirAtomic', () => {
  it('writes every file with its mode, in 0700 dirs', async () => {
    const dir = join(work, 'ok');
    await writeDirAtomic(dir, [
      { path: 'a/secret.key', content: 'k', mode: 0o600 },
      { path: 'a/b/c.crt', content: 'c', mode: 0o644 },
    ], { force: false, label: '--asset-dir' });
    assert.equal(await readFile(join(dir, 'a/b/c.crt'), 'utf8'), 'c');
    assert.equal((await stat(join(dir, 'a/secret.key'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'a/b/c.crt'))).mode & 0o777, 0o644);
    for (const d of ['', 'a', 'a/b']) assert.equal((await stat(join(dir, d))).mode & 0o777, 0o700, d);
  });

  it('leaves nothing behind when a write fails part-way', async () => {
    const dir = join(work, 'fails');
    const files = Array.from({ length: 40 }, (_, i) => ({ path: `x/f${i}`, content: 'data', mode: 0o644 }));
    files.push({ path: 'x/f7', content: 'again', mode: 0o644 }); // the second write of one path fails (O_EXCL)
    await assert.rejects(writeDirAtomic(dir, files, { force: false, label: '--asset-dir' }), (err: unknown) => {
      assert.ok(err instanceof WriteError);
      assert.match(err.userMessage(), /^--asset-dir .*fails: writing failed, nothing was changed/);
      return true;
    });
    assert.deepEqual((await readdir(work)).filter((n) => n.includes('fails')), [], 'no target, no staging dir');
  });

  it('refuses a target that is a file, and a non-empty dir without force', async () => {
    await writeFile(join(work, 'plain'), 'x');
    await assert.rejects(writeDirAtomic(join(work, 'plain'), [], { force: true, label: '--asset-dir' }), OutputDirError);
    await mkdir(join(work, 'full'));
    await writeFile(join(work, 'full', 'keep'), 'x');
    await assert.rejects(writeDirAtomic(join(work, 'full'), [], { force: false, label: '--asset-dir' }), /exists and is not empty/);
    assert.equal(await readFile(join(work, 'full', 'keep'), 'utf8'), 'x');
  });

  it('refuses paths that would leave the directory', async () => {
    await assert.rejects(writeDirAtomic(join(work, 'escape'), [{ path: '../evil', content: 'x', mode: 0o644 }], { force: false, label: 'd' }), WriteError);
    await assert.rejects(stat(join(work, 'evil')));
  });
});

describe('writeFileAtomic', () => {
  it('replaces a file with exactly the new content and mode, leaving no temp file', async () => {
    const path = join(work, 'f.json');
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new', 0o600);
    assert.equal(await readFile(path, 'utf8'), 'new');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(work)).filter((n) => n.startsWith('.f.json')), []);
  });
});
