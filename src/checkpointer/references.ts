/**
 * Fetching what a checkpointed pod references: its Secrets, ConfigMaps and service-account tokens,
 * read from the API as the node. A token already checkpointed is kept while it is bound to this
 * pod and has more than a fifth of its life left (the kubelet renews at 80% too).
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ObjectData, ObjectFetcher } from './types.js';
import type { PodReferences, ResolvedObjects } from './volumes.js';

/** Reads a checkpointed token by its key (`<volume>/<path>`), if one is on disk. */
export type TokenReader = (key: string) => Promise<Buffer | undefined>;

/** Fetches every reference of `pod`; throws on the first failure (the pod is skipped this round). */
export async function resolveReferences(
  pod: V1Pod,
  refs: PodReferences,
  fetcher: ObjectFetcher,
  readToken: TokenReader,
  now: number,
  signal: AbortSignal,
): Promise<ResolvedObjects> {
  const ns = pod.metadata?.namespace ?? '';
  const fetchAll = async (names: string[], get: (n: string) => Promise<ObjectData>) =>
    new Map<string, ObjectData>(await Promise.all(names.map(async (n) => [n, await get(n)] as const)));
  const [secrets, configMaps] = await Promise.all([
    fetchAll(refs.secrets, (n) => fetcher.secret(ns, n, signal)),
    fetchAll(refs.configMaps, (n) => fetcher.configMap(ns, n, signal)),
  ]);
  const tokens = new Map<string, string>();
  for (const { key, projection } of refs.tokens) {
    const existing = (await readToken(key))?.toString('utf8');
    if (existing && tokenStillGood(existing, pod.metadata?.uid, now)) {
      tokens.set(key, existing);
      continue;
    }
    tokens.set(key, (await fetcher.token(pod, projection, signal)).token);
  }
  return { secrets, configMaps, tokens };
}

/** A JWT bound to pod `uid` with more than 20% of its lifetime left at `now`. Unverified: we only read our own file. */
export function tokenStillGood(jwt: string, uid: string | undefined, now: number): boolean {
  const claims = decodeJwtClaims(jwt);
  if (!claims || typeof claims.exp !== 'number') return false;
  const boundUid = (claims['kubernetes.io'] as { pod?: { uid?: string } } | undefined)?.pod?.uid;
  if (uid && boundUid && boundUid !== uid) return false;
  const exp = claims.exp * 1000;
  const iat = typeof claims.iat === 'number' ? claims.iat * 1000 : exp - 3600_000;
  return exp - now > (exp - iat) / 5;
}

function decodeJwtClaims(jwt: string): Record<string, unknown> | undefined {
  const part = jwt.trim().split('.')[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
