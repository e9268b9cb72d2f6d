// The tests' lockexec: the library's build (src/lock/lockexec-build.ts), compiled once per source version.
export { buildLockexec } from '../../src/lock/lockexec-build.js';
