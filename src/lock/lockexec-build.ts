/**
 * Builds assets/lockexec.c with the machine's gcc, statically, as the image build does
 * (assets/Dockerfile): what the tests and `start --simulate` run in place of the image's lockexec.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, chmod, constants, lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LockexecBuildError } from './errors.js';

const source = fileURLToPath(new URL('../../assets/lockexec.c', import.meta.url));
const flags = ['-static', '-O2', '-Wall', '-Wextra', '-Werror'];

let built: Promise<string> | undefined;

/** Path of a static lockexec built from the current source, compiled at most once per source version. */
export function buildLockexec(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  const code = await readFile(source);
  const hash = createHash('sha256').update(flags.join(' ')).update('\0').update(code).digest('hex');
  // Shared by every test process (and later runs) of this user: a name keyed by the source and
  // flags, so a changed source gets a new binary and an unchanged one is never rebuilt.
  const dir = join(tmpdir(), `bootkube-lockexec-${process.getuid?.() ?? 'u'}-${hash.slice(0, 16)}`);
  const binary = join(dir, 'lockexec');
  // 0755 whatever the umask, not 0700: the non-root tests run the binary as another user.
  if ((await mkdir(dir, { recursive: true })) === dir) await chmod(dir, 0o755);
  await assertPrivate(dir);
  if (await exists(binary)) return binary;

  // Concurrent processes each compile to their own temp name and rename over the final one: rename
  // is atomic, so no process ever sees a half-written binary, and the loser's rename is harmless.
  const temp = join(dir, `.lockexec.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    await promisify(execFile)('gcc', [...flags, '-o', temp, source]);
    await rename(temp, binary);
  } catch (err) {
    await rm(temp, { force: true });
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new LockexecBuildError('gcc is not installed: lockexec cannot be built', {
        hint: 'install gcc and the static C library (Debian: apt-get install -y gcc libc6-dev)',
        cause: err,
      });
    }
    throw new LockexecBuildError(
      `gcc failed to build ${source}: ${(e.stderr ?? e.message).trim().split('\n').join(' ')}`,
      { cause: err },
    );
  }
  return binary;
}

// The name is predictable and tmpdir() is shared: a directory someone else planted could hold a
// binary we would then run as root.
async function assertPrivate(dir: string): Promise<void> {
  const st = await lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new LockexecBuildError(`${dir} is not a directory owned by this user and writable only by it`, {
      hint: 'remove it',
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
