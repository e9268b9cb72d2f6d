/**
 * Crash safety: a checkpointer rewriting manifests and secrets as fast as it can is killed with
 * SIGKILL at a random moment, at least 200 times; after every kill each file a reader (the kubelet,
 * the next checkpointer) can see parses, every secret file holds a whole value, every manifest's
 * hostPath dirs exist, and no temp file is left where a reader would take it for a manifest. Then
 * SIGTERM: the loop ends cleanly. The child is bundled once with esbuild so that each start costs
 * ~0.1 s instead of tsx's ~0.7 s.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { V1Pod } from '@kubernetes/client-node';
import { TEMP_MARKER } from '../../src/fs/atomic-file.js';
import { CheckpointStore, storeLayout } from '../../src/checkpointer/store.js';
import { ANNOTATIONS } from '../../src/render/constants.js';
import { isWholeSecretValue } from './crash-values.js';
import { within } from '../helpers/wait.js';

const KILLS = 200;
const WORKERS = 3;
let work: string;
let bundle: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'checkpointer-crash-'));
  bundle = join(work, 'crash-child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./crash-child.ts', import.meta.url))],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // CommonJS dependencies (yaml) call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
});
after(() => rm(work, { recursive: true, force: true }));

function startChild(root: string, mode: 'kill' | 'sigterm', start: number) {
  const child = spawn(process.execPath, [bundle, root, mode], {
    env: { ...process.env, CRASH_START: String(start) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (out.includes('ready\n')) resolve();
    });
    void exited.then(() => reject(new Error(`child exited before it was ready: ${err}`)));
  });
  return { child, ready, exited, output: () => out, errors: () => err };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

interface Findings {
  temps: number;
  manifests: number;
}

/** Everything a reader can see under `root` is whole. Returns how many temp files a kill left behind. */
async function checkDisk(root: string): Promise<Findings> {
  const layout = storeLayout(root);
  const found: Findings = { temps: 0, manifests: 0 };
  for (const dir of [layout.inactive, layout.staticPods]) {
    for (const name of await readdir(dir)) {
      if (name.startsWith('.')) {
        // Invisible to the kubelet (it skips dot-files) and to our reader, which deletes it.
        assert.ok(name.includes(TEMP_MARKER), `${dir}/${name}: a dot-file that is not ours`);
        found.temps++;
        continue;
      }
      const pod = JSON.parse(await readFile(join(dir, name), 'utf8')) as V1Pod;
      assert.ok(pod.metadata?.annotations?.[ANNOTATIONS.checkpointOf], `${name} is a checkpoint`);
      found.manifests++;
      for (const v of pod.spec?.volumes ?? []) {
        const hostDir = join(root, v.hostPath!.path);
        assert.deepEqual(
          (await readdir(hostDir)).filter((n) => !n.startsWith('.')).sort(),
          ['tls.crt', 'tls.key'],
          `${name}: ${hostDir}`,
        );
      }
    }
  }
  for (const file of [...(await walk(layout.secrets)), ...(await walk(layout.configMaps))]) {
    const base = file.slice(file.lastIndexOf('/') + 1);
    if (base.startsWith('.')) {
      assert.ok(base.includes(TEMP_MARKER), `${file}: a dot-file that is not ours`);
      found.temps++;
      continue;
    }
    assert.ok(isWholeSecretValue(await readFile(file, 'utf8')), `${file} holds a whole value`);
    assert.equal((await stat(file)).mode & 0o777, 0o600, file);
  }
  // The next reader cleans every leftover in the checkpointer's own dir and sees only whole files.
  const warnings: string[] = [];
  const store = new CheckpointStore(layout, { log: { info() {}, warn: (m) => warnings.push(m) } });
  await store.readInactive();
  await store.readActive();
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    (await readdir(layout.inactive)).filter((n) => n.startsWith('.')),
    [],
  );
  return found;
}

describe('checkpointer crash safety', () => {
  it(`leaves only whole files after ${KILLS} kill -9 at random moments`, async (t) => {
    const totals = { kills: 0, temps: 0, killsWithTemps: 0, manifests: 0 };
    const worker = async (w: number) => {
      const root = join(work, `node-${w}`);
      for (let i = w; i < KILLS; i += WORKERS) {
        const c = startChild(root, 'kill', i * 10_000);
        await within(c.ready, { timeoutMs: 20_000, what: 'the crash child to start' });
        await delay(1 + Math.floor(Math.random() * 30));
        c.child.kill('SIGKILL');
        const { signal } = await c.exited;
        assert.equal(signal, 'SIGKILL', `kill ${i}: ${c.errors()}`);
        const f = await checkDisk(root);
        totals.kills++;
        totals.temps += f.temps;
        totals.manifests += f.manifests;
        if (f.temps) totals.killsWithTemps++;
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    assert.equal(totals.kills, KILLS);
    t.diagnostic(
      `${totals.kills} kills; ${totals.killsWithTemps} of them interrupted a write (${totals.temps} temp files left, all invisible to readers)`,
    );
    // The kills must have hit writes in progress, or the test proves nothing.
    assert.ok(totals.killsWithTemps > 0, 'some kill interrupted a write');
    assert.ok(totals.manifests > 0);
  });

  it('ends its loop cleanly on SIGTERM, mid-flight', async () => {
    const root = join(work, 'sigterm');
    const c = startChild(root, 'sigterm', 0);
    await within(c.ready, { timeoutMs: 20_000, what: 'the child to start' });
    await delay(50);
    c.child.kill('SIGTERM');
    const { code, signal } = await within(c.exited, { timeoutMs: 10_000, what: 'the child to exit' });
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, c.errors());
    assert.match(c.output(), /clean exit/);
    const f = await checkDisk(root);
    assert.equal(f.temps, 0, 'a clean exit leaves no temp file');
    assert.ok(f.manifests > 0);
  });
});
