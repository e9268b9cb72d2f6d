/**
 * The second half of `npm run build`, run on the compiled dist/: the templates bundle and oclif's
 * command manifest. Both are generated from the build they belong to, never committed, so neither
 * can go stale against dist/ (bin/dev.js ignores the manifest: development never sees one).
 *
 * Without a manifest oclif imports every command module on every run to learn its flags, so each
 * command would pay for the libraries of all the others (etcd and gRPC clients, the Kubernetes
 * client); with it, a run imports only the command it runs.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';
import { writeBundle } from '../render/template-bundle.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const templates = await writeBundle();
const config = await Config.load({ root, ignoreManifest: true });
// The loaded plugin holds the manifest oclif just built by importing every command (the public
// Plugin interface does not declare it; it is what `oclif manifest` writes too).
const plugin = config.plugins.get(config.pjson.name) as unknown as
  { manifest: { commands: object } } | undefined;
if (!plugin) throw new Error(`build: oclif found no plugin named ${config.pjson.name} in ${root}`);
await writeFile(join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest)}\n`);
console.log(
  `build: ${templates} templates bundled; manifest of ${Object.keys(plugin.manifest.commands).length} commands`,
);
