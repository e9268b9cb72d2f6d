/**
 * The storage error catalogue. Every back end throws only these, so the handlers above map them to
 * Kubernetes Status objects in one table without knowing which back end ran:
 *
 * | code                | Status the handler layer sends                         |
 * |---------------------|--------------------------------------------------------|
 * | NOT_FOUND           | 404 NotFound                                           |
 * | ALREADY_EXISTS      | 409 AlreadyExists                                      |
 * | CONFLICT            | 409 Conflict                                           |
 * | EXPIRED             | 410 Expired (an ERROR event on a watch)                |
 * | REVISION_TOO_LARGE  | 504 Timeout, cause ResourceVersionTooLarge             |
 * | INVALID_ARGUMENT    | 400 BadRequest (a bad continue token) or a server bug   |
 * | UNREADABLE_VALUE    | 500 InternalError                                      |
 * | UNAVAILABLE         | 503 ServiceUnavailable                                 |
 * | INTERNAL            | 500 InternalError                                      |
 */
import { RuntimeError, type BootkubeErrorOptions } from '../../errors.js';

export abstract class StorageError extends RuntimeError {
  abstract override readonly code:
    | 'NOT_FOUND'
    | 'ALREADY_EXISTS'
    | 'CONFLICT'
    | 'EXPIRED'
    | 'REVISION_TOO_LARGE'
    | 'INVALID_ARGUMENT'
    | 'UNREADABLE_VALUE'
    | 'UNAVAILABLE'
    | 'INTERNAL';
}

export type StorageErrorCode = StorageError['code'];

/** The key does not exist (get-free operations: update, delete). */
export class NotFoundError extends StorageError {
  readonly code = 'NOT_FOUND';
  constructor(readonly key: string) {
    super(`${key} not found`);
  }
}

/** create() found the key already there. */
export class AlreadyExistsError extends StorageError {
  readonly code = 'ALREADY_EXISTS';
  constructor(readonly key: string) {
    super(`${key} already exists`);
  }
}

/** A compare-and-swap lost: the key was changed (or deleted and re-created) since expectedRevision. */
export class ConflictError extends StorageError {
  readonly code = 'CONFLICT';
  constructor(
    readonly key: string,
    readonly expectedRevision: string,
    /** The key's mod revision now. */
    readonly actualRevision: string,
  ) {
    super(`${key} was modified: expected revision ${expectedRevision}, it is at ${actualRevision}`, {
      hint: 'read the object again and retry',
    });
  }
}

/** The revision asked for (a watch start, a list at a revision, a continue token) has been compacted away. */
export class ExpiredError extends StorageError {
  readonly code = 'EXPIRED';
  constructor(
    readonly revision: string,
    /** The oldest revision still available, when the back end says. */
    readonly compactedRevision: string | undefined,
    what: string,
  ) {
    // The wording of kube-apiserver's watch cache ("too old resource version: 5 (10)"), which clients log.
    super(`${what}: too old resource version: ${revision} (${compactedRevision ?? 'unknown'})`, {
      hint: 'list again to get a current resourceVersion',
    });
  }
}

/** A revision later than the store's current one. */
export class RevisionTooLargeError extends StorageError {
  readonly code = 'REVISION_TOO_LARGE';
  constructor(
    readonly revision: string,
    readonly currentRevision: string | undefined,
  ) {
    super(`too large resource version: ${revision}, current: ${currentRevision ?? 'unknown'}`);
  }
}

/** The caller passed something storage cannot use: not a decimal revision, a bad continue token, an object without kind. */
export class InvalidArgumentError extends StorageError {
  readonly code = 'INVALID_ARGUMENT';
}

export type UnreadableReason = 'protobuf' | 'encrypted' | 'not-json' | 'no-kind';

/**
 * A value under a key is not an object this project can read: kube-apiserver's protobuf, an
 * encrypted value, or not JSON at all. Names the key, says what the value is and what to do.
 */
export class UnreadableValueError extends StorageError {
  readonly code = 'UNREADABLE_VALUE';
  constructor(
    readonly key: string,
    readonly reason: UnreadableReason,
    message: string,
    options: BootkubeErrorOptions = {},
  ) {
    super(`etcd key ${key}: ${message}`, options);
  }
}

/**
 * etcd did not answer (down, unreachable, TLS refused, timed out), or the storage is closed. For a
 * write, the outcome is unknown. `endpoints` is empty for the memory back end.
 */
export class UnavailableError extends StorageError {
  readonly code = 'UNAVAILABLE';
  constructor(
    readonly endpoints: readonly string[],
    detail: string,
    options: BootkubeErrorOptions = {},
  ) {
    const where = endpoints.length > 0 ? `etcd at ${endpoints.join(', ')}` : 'storage';
    super(`${where} is unavailable: ${detail}`, {
      hint:
        options.hint ??
        'check that etcd is running and reachable, and that the etcd endpoints and TLS files (CA, client certificate and key) are right',
      cause: options.cause,
    });
  }
}

/** An unexpected failure of the back end; the cause says what. */
export class InternalStorageError extends StorageError {
  readonly code = 'INTERNAL';
}

/** True when err is a StorageError with the given code: `isStorageError(err, 'CONFLICT')`. */
export function isStorageError<C extends StorageErrorCode>(
  err: unknown,
  code?: C,
): err is StorageError & { code: C } {
  return err instanceof StorageError && (code === undefined || err.code === code);
}
