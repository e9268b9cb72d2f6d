/*
 * lockexec LOCKFILE COMMAND [ARG...]
 *
 * Takes an exclusive flock(2) on LOCKFILE, waiting as long as it takes, then replaces itself with
 * COMMAND (execvp). The command keeps lockexec's PID (PID 1 in a container), so SIGTERM from the
 * kubelet reaches it directly, and it holds the lock for exactly its own lifetime: the lock belongs
 * to the open file description, which the command inherits and the kernel closes when it exits.
 * This is how every kube-apiserver on a master takes bootkube's API hand-off lock (DESIGN.md §3).
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -o lockexec lockexec.c
 *
 * Exit status when COMMAND never runs: 2 bad usage, 125 the lock could not be opened or taken,
 * 126 COMMAND could not be executed, 127 COMMAND was not found (125-127 as in env(1) and the shell;
 * like them, a name found nowhere on a PATH with an unsearchable directory is EACCES, so 126).
 * Otherwise the status is COMMAND's own.
 *
 * Choices worth knowing:
 *  - The descriptor is deliberately NOT close-on-exec: closing the last descriptor of the open file
 *    description would release the lock. Anything COMMAND forks inherits it too, so the lock is
 *    released only when the last such process has exited or closed it (kube-apiserver forks none).
 *  - It stays at whatever number open(2) gave it (3 under a container runtime). A program that closes
 *    every inherited descriptor would drop the lock wherever it lives; kube-apiserver (Go) closes
 *    none, so moving it to a high number would buy nothing.
 *  - O_RDONLY: flock(LOCK_EX) needs no write access, so a non-root apiserver can lock a root-owned
 *    0644 file. The file is never unlinked: a deleted-and-recreated file is a different lock.
 *  - When lockexec creates the file it sets 0644 with fchmod, whatever the umask: under umask 077 a
 *    0600 file would lock out every non-root apiserver. An existing file's mode is left alone (and it
 *    may not be ours to change). O_EXCL tells the two cases apart without a race.
 *  - No signal handlers: SIGTERM while waiting simply ends lockexec, which is what a kubelet deleting
 *    a waiting pod wants. Dispositions and the signal mask pass through to COMMAND unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_USAGE = 2, EXIT_LOCK = 125, EXIT_CANNOT_EXEC = 126, EXIT_NOT_FOUND = 127 };

static _Noreturn void die(int status, const char *what, int err) {
    fprintf(stderr, "lockexec: %s: %s\n", what, strerror(err));
    exit(status);
}

/* Opens path for locking, creating it 0644 if missing. Returns the descriptor or dies. */
static int open_lock_file(const char *path) {
    /* Two tries: the file may vanish between the O_EXCL attempt and the plain open. */
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_RDONLY | O_CREAT | O_EXCL, 0644);
        if (fd >= 0) {
            if (fchmod(fd, 0644) != 0) die(EXIT_LOCK, path, errno);
            return fd;
        }
        if (errno != EEXIST) die(EXIT_LOCK, path, errno);
        fd = open(path, O_RDONLY);
        if (fd < 0 && errno == ENOENT) continue;
        if (fd < 0) die(EXIT_LOCK, path, errno);
        /* Pods mount the lock directory: locking it instead of the file inside would exclude no one. */
        struct stat st;
        if (fstat(fd, &st) != 0) die(EXIT_LOCK, path, errno);
        if (S_ISDIR(st.st_mode)) die(EXIT_LOCK, path, EISDIR);
        return fd;
    }
    die(EXIT_LOCK, path, ENOENT);
}

int main(int argc, char *argv[]) {
    if (argc < 3) {
        fprintf(stderr, "usage: lockexec LOCKFILE COMMAND [ARG...]\n");
        return EXIT_USAGE;
    }
    const char *path = argv[1];
    int fd = open_lock_file(path);

    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) die(EXIT_LOCK, path, errno);
    }

    execvp(argv[2], &argv[2]);
    die(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC, argv[2], errno);
}
