/**
 * Creating the asset dir's objects idempotently (DESIGN §3 steps 4 and 6): an object that does not
 * exist is created; one that exists and holds everything the manifest says is skipped; one that
 * differs is reported, and replaced only when asked. A re-run after an interruption therefore
 * creates nothing twice. Transient answers (no answer, 429, 5xx, a kind the API does not know yet)
 * are retried with back-off until the deadline.
 */
import { answerMessage, type Answer, type ApiClient, type ObjectRef } from './client.js';
import { StartTimeoutError, ObjectRejectedError } from './errors.js';

export type Outcome = 'created' | 'skipped' | 'differs' | 'updated' | 'failed';

export interface ObjectResult {
  /** kind namespace/name, as in messages. */
  object: string;
  file?: string;
  outcome: Outcome;
  message?: string;
}

export interface EnsureOptions {
  /** Replace an existing object that differs from the manifest. */
  update?: boolean;
  deadline: number;
  signal?: AbortSignal;
  /** Called while waiting, with what is being waited for. */
  progress?: (line: string) => void;
}

export function describe(ref: ObjectRef): string {
  const ns = ref.metadata.namespace ? `${ref.metadata.namespace}/` : '';
  return `${ref.kind} ${ns}${ref.metadata.name}`;
}

/** True when every field `want` sets has the same value in `have` (the server adds defaults, never removes). */
export function contains(have: unknown, want: unknown): boolean {
  if (want === null || typeof want !== 'object') {
    // Secrets: `stringData` is written as `data`, and numbers may come back as strings of quantities.
    return have === want || (typeof want === 'number' && String(want) === have);
  }
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => contains(have[i], w));
  }
  if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
  return Object.entries(want as Record<string, unknown>).every(([k, v]) =>
    contains((have as Record<string, unknown>)[k], v),
  );
}

function transient(a: Answer): boolean {
  return a.status === 0 || a.status === 429 || a.status >= 500 || a.status === 404;
}

/** Waits as the API asks (Retry-After is not read back: 0.1 s doubling to 2 s is within what it asks). */
async function backoff(attempt: number, signal?: AbortSignal): Promise<void> {
  const ms = Math.min(2000, 100 * 2 ** attempt);
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/** Creates `object` unless it exists; see the module comment. */
export async function ensureObject(
  client: ApiClient,
  object: ObjectRef & Record<string, unknown>,
  opts: EnsureOptions & { file?: string },
): Promise<ObjectResult> {
  const name = describe(object);
  const result = (outcome: Outcome, message?: string): ObjectResult => ({
    object: name,
    file: opts.file,
    outcome,
    ...(message ? { message } : {}),
  });
  let last = 'no answer yet';
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    if (Date.now() > opts.deadline)
      throw new StartTimeoutError(`creating ${name}: the API kept answering ${last}`, {
        hint: 'is the apiserver healthy? see its pod status with kubectl -n kube-system get pods',
      });
    const path = await client.pathOf(object);
    if (!path) {
      last = `that it does not know ${object.apiVersion} ${object.kind}`;
      opts.progress?.(`${name}: waiting for the API to serve ${object.apiVersion} ${object.kind}`);
      client.forgetDiscovery();
      await backoff(attempt, opts.signal);
      continue;
    }
    const existing = await client.request('GET', path, { signal: opts.signal });
    if (existing.status === 200) {
      if (contains(existing.body, comparable(object))) return result('skipped');
      if (!opts.update)
        return result('differs', 'exists with other content; left as it is (--update-existing replaces it)');
      const replaced = await client.request('PUT', path, {
        body: {
          ...object,
          metadata: { ...object.metadata, resourceVersion: existing.body.metadata.resourceVersion },
        },
        signal: opts.signal,
      });
      if (replaced.status === 200) return result('updated');
      if (replaced.status === 409 || transient(replaced)) {
        last = answerMessage(replaced);
        await backoff(attempt, opts.signal);
        continue;
      }
      throw new ObjectRejectedError(`updating ${name}: ${answerMessage(replaced)}`, {
        hint: `fix ${opts.file ?? 'the manifest'}`,
      });
    }
    if (existing.status !== 404) {
      last = answerMessage(existing);
      opts.progress?.(`${name}: the API answered ${last}; retrying`);
      await backoff(attempt, opts.signal);
      continue;
    }
    const created = await client.request('POST', (await client.pathOf(object, true))!, {
      body: object,
      signal: opts.signal,
    });
    if (created.status === 201 || created.status === 200) return result('created');
    // Created by a run that was interrupted before it saw the answer, or by a controller: look again.
    if (created.status === 409) continue;
    if (transient(created)) {
      last = answerMessage(created);
      opts.progress?.(`${name}: the API answered ${last}; retrying`);
      await backoff(attempt, opts.signal);
      continue;
    }
    throw new ObjectRejectedError(`creating ${name}: ${answerMessage(created)}`, {
      hint: `fix ${opts.file ?? 'the manifest'}`,
    });
  }
}

/** What of a manifest the API gives back as written (Secrets' stringData comes back as data). */
function comparable(object: Record<string, unknown>): Record<string, unknown> {
  if (object.kind !== 'Secret' || !object.stringData) return object;
  const { stringData, ...rest } = object as {
    stringData: Record<string, string>;
    data?: Record<string, string>;
  };
  const data = { ...rest.data };
  for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v).toString('base64');
  return { ...rest, data };
}
