#!/usr/bin/env -S node --no-warnings=ExperimentalWarning
// Runs the TypeScript sources directly, for development: commands are found in src/commands, never
// through the manifest or dist/ of an earlier build (which would hide a new command). The loadOptions
// flag ignoreManifest does not reach the root plugin, so the root plugin is made here; and since oclif
// then sees no dist/ to map, the TypeScript loader (tsx) is registered here too.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
// As bin/run.js: the checkpointer daemon without the CLI framework.
const args = process.argv.slice(2);
if (args[0] === 'checkpoint' && !args.some((a) => ['--help', '-h', '--json'].includes(a))) {
  const { checkpointMain } = await import('../src/checkpointer/main.ts');
  process.exitCode = await checkpointMain(args.slice(1));
} else {
  await runOclif();
}

async function runOclif() {
  const { execute, Plugin } = await import('@oclif/core');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  pjson.oclif = { ...pjson.oclif, commands: './src/commands' };
  const plugin = new Plugin({ root, isRoot: true, ignoreManifest: true, pjson });
  await plugin.load();
  await execute({
    development: true,
    loadOptions: { root, pjson, plugins: new Map([[plugin.name, plugin]]) },
  });
}
