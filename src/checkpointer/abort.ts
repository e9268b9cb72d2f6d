// Ending long-lived things cleanly: a sleep that an abort cuts short, and SIGTERM/SIGINT as an abort.

/** Resolves after `ms`, or at once when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * An AbortSignal aborted by SIGTERM or SIGINT; a second signal exits at once (128 + its number).
 * The handlers stay installed: a library that re-raises a signal when it thinks nobody else listens
 * (signal-exit, under proper-lockfile) would otherwise kill the process before it has cleaned up.
 */
export function abortOnSignals(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): AbortSignal {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    controller.abort();
  };
  for (const s of signals) process.on(s, handler);
  return controller.signal;
}
