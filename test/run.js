#!/usr/bin/env node
// Runs the node:test suite. Node 20's runner has no globs, so the files are found here and passed
// explicitly. Arguments narrow the run to files under the given paths: `node test/run.js test/pki`.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

function find(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && e.name !== 'node_modules' && e.name !== 'bench')
    .flatMap((e) => find(join(path, e.name)));
}

// The files that take minutes (whole rehearsals, one after another) start first: with two at a
// time, a long file that starts last sets the length of the whole run.
const SLOW = [
  'test/recovery/outage.test.ts',
  'test/bootstrap/start-kill.test.ts',
  'test/certs/cluster.test.ts',
  'test/checkpointer/reboot.test.ts',
];
const rank = (f) => (SLOW.includes(f) ? SLOW.indexOf(f) : SLOW.length);
const roots = process.argv.slice(2);
const files = (roots.length ? roots.map((r) => resolve(r)) : [join(root, 'test')])
  .flatMap(find)
  .map((f) => relative(root, f))
  .sort()
  .sort((a, b) => rank(a) - rank(b));
if (files.length === 0) {
  console.error('no test files found under', roots.join(' ') || 'test/');
  process.exit(1);
}
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  // Its own process group, so the watchdog can stop the test files it runs, too.
  { cwd: root, stdio: 'inherit', env: { ...process.env, BOOTKUBE_TEST: '1' }, detached: true },
);
// Node 20's runner waits forever for a test file whose process does not exit (a leaked socket or
// timer after its last test). Fail loudly instead of letting CI run into its own time limit.
const limitMin = Number(process.env.BOOTKUBE_TEST_LIMIT_MIN ?? 25);
const watchdog = setTimeout(() => {
  console.error(`test/run.js: the run exceeded ${limitMin} minutes; a test file is probably not exiting (see the last file reported above)`);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
  process.exit(1);
}, limitMin * 60_000);
watchdog.unref();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => {
  try {
    process.kill(-child.pid, sig);
  } catch {}
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
