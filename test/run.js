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

const roots = process.argv.slice(2);
const files = (roots.length ? roots.map((r) => resolve(r)) : [join(root, 'test')])
  .flatMap(find)
  .map((f) => relative(root, f))
  .sort();
if (files.length === 0) {
  console.error('no test files found under', roots.join(' ') || 'test/');
  process.exit(1);
}
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, BOOTKUBE_TEST: '1' } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
