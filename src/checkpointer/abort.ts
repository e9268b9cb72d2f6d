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

/** An AbortSignal aborted by SIGTERM or SIGINT (then the handlers are removed, so a second signal kills). */
export function abortOnSignals(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): AbortSignal {
  const controller = new AbortController();
  const handler = () => {
    for (const s of signals) process.off(s, handler);
    controller.abort();
  };
  for (const s of signals) process.on(s, handler);
  return controller.signal;
}
