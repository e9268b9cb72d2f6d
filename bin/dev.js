#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Runs the TypeScript sources directly, for development. The command manifest belongs to the
// compiled build (npm run build) and is ignored here, so new commands are always found.
import { fileURLToPath } from 'node:url';
import { execute } from '@oclif/core';

await execute({ development: true, loadOptions: { root: fileURLToPath(new URL('..', import.meta.url)), ignoreManifest: true } });
