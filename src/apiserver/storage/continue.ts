/**
 * List continue tokens in kube-apiserver's format (apiserver storage/continue.go): base64url (no
 * padding) of {"v":"meta.k8s.io/v1","rv":<revision>,"start":"<next key without the prefix>"}.
 * Clients treat the token as opaque; keeping the format means the real apiserver, after the
 * hand-off, understands tokens this server handed out.
 */
import { InvalidArgumentError } from './errors.js';
import { parseRevision } from './keys.js';

const VERSION = 'meta.k8s.io/v1';

/** The token that resumes a list of prefix at revision, from nextKey (inclusive) on. */
export function encodeContinue(prefix: string, nextKey: string, revision: string): string {
  if (!nextKey.startsWith(prefix)) throw new Error(`continue key ${nextKey} is not under ${prefix}`);
  // rv is an int64 in Go; written by hand because JSON.stringify has no bigint.
  const json = `{"v":${JSON.stringify(VERSION)},"rv":${revision},"start":${JSON.stringify(nextKey.slice(prefix.length))}}`;
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** The key to resume from and the revision to read at; INVALID_ARGUMENT if token is not one of ours. */
export function decodeContinue(prefix: string, token: string): { from: string; revision: string } {
  const invalid = (why: string) => new InvalidArgumentError(`continue key is not valid: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not base64url-encoded JSON');
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (t?.v !== VERSION) throw invalid(`unsupported version ${JSON.stringify(t?.v)}`);
  if (typeof t.rv !== 'number' || !Number.isSafeInteger(t.rv) || t.rv <= 0)
    throw invalid('bad resource version');
  if (typeof t.start !== 'string' || t.start.length === 0) throw invalid('empty start key');
  // No path-traversal check is needed: the range always ends at the end of prefix, so a start key
  // can only narrow it.
  const revision = String(t.rv);
  parseRevision(revision, 'continue revision');
  return { from: prefix + t.start, revision };
}
