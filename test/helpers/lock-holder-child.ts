/**
 * A child process for lock tests: takes the hand-off lock on argv[2], prints `held <pid>`, then
 * waits to be killed. It survives SIGINT (printing `sigint`), as `bootkube start` does while it
 * shuts the shim down in order.
 */
import { tryAcquire } from '../../src/lock/index.js';

process.on('SIGINT', () => process.stdout.write('sigint\n'));
const lock = await tryAcquire(process.argv[2]!);
process.stdout.write(lock ? `held ${lock.holderPid}\n` : 'busy\n');
setInterval(() => {}, 1 << 30);
