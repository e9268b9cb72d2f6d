#!/usr/bin/env node
// The installed entry point: runs the compiled commands under dist/ (npm run build).
// `bootkube checkpoint` is a long-running daemon with a memory budget: it runs without the CLI
// framework (src/checkpointer/main.ts) unless help or JSON output is asked for.
const args = process.argv.slice(2);
if (args[0] === 'checkpoint' && !args.some((a) => ['--help', '-h', '--json'].includes(a))) {
  const { checkpointMain } = await import('../dist/checkpointer/main.js');
  process.exitCode = await checkpointMain(args.slice(1));
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
