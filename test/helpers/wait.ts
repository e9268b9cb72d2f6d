// Waiting without sleeping: a condition polled until a deadline, and a promise given a deadline.

/** Resolves with the first truthy result of probe; rejects after timeoutMs, or as soon as probe throws. */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 10, what = 'condition' } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result) return result;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Settles as promise does, or rejects once timeoutMs has passed. */
export async function within<T>(promise: Promise<T>, opts: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const { timeoutMs = 15_000, what = 'a promise' } = opts;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
