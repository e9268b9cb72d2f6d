/**
 * The error catalogue of the API server: every failure a client sees is a `Status` object worded
 * and coded as kube-apiserver words it (apimachinery pkg/api/errors/errors.go), because clients
 * branch on `reason` and `code` (client-go's apierrors.IsNotFound, IsConflict, IsAlreadyExists…)
 * and people read `message` in kubelet logs. One constructor per reason; handlers throw ApiError
 * and the pipeline writes it, fastify-style.
 */
import { isStorageError, type StorageError } from './storage/index.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  /** The resource (plural) for most reasons, the Kind for Invalid: as the real server fills it. */
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Forbidden'
  | 'Unauthorized'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'Expired'
  | 'Gone'
  | 'ServiceUnavailable'
  | 'InternalError'
  | 'Timeout'
  | 'RequestEntityTooLarge';

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A group and resource as the real server qualifies names in messages: `leases.coordination.k8s.io`. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** A group and kind (Invalid and precondition conflicts name the kind, not the resource). */
export interface GroupKind {
  group: string;
  kind: string;
}

/** A failure to answer with: the Status and any extra headers (Retry-After, WWW-Authenticate). */
export class ApiError extends Error {
  constructor(
    readonly status: Status,
    readonly headers: Record<string, string> = {},
  ) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.name = 'ApiError';
  }

  get code(): number {
    return this.status.code;
  }
}

/** `pods`, `leases.coordination.k8s.io` (schema.GroupResource.String()). */
export function qualified(gr: GroupResource | GroupKind): string {
  const name = 'resource' in gr ? gr.resource : gr.kind;
  return gr.group ? `${name}.${gr.group}` : name;
}

function failure(code: number, reason: StatusReason, message: string, details?: StatusDetails): Status {
  // Key order as Go writes the struct: clients don't care, people diffing responses do.
  return details
    ? {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        details: compactDetails(details),
        code,
      }
    : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

// Go's omitempty: empty strings and absent fields are not written; key order follows the Go struct.
function compactDetails(d: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.uid) out.uid = d.uid;
  if (d.causes && d.causes.length > 0) out.causes = d.causes;
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

function err(status: Status, headers?: Record<string, string>): ApiError {
  return new ApiError(status, headers);
}

/** The catalogue: one constructor per reason, each the twin of its apimachinery NewXxx. */
export const Errors = {
  notFound(gr: GroupResource, name: string): ApiError {
    return err(
      failure(404, 'NotFound', `${qualified(gr)} "${name}" not found`, {
        name,
        group: gr.group,
        kind: gr.resource,
      }),
    );
  },
  /** A path no route serves (the mux's NotFound, with empty details). */
  pathNotFound(): ApiError {
    return err(failure(404, 'NotFound', 'the server could not find the requested resource', {}));
  },
  alreadyExists(gr: GroupResource, name: string): ApiError {
    return err(
      failure(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, {
        name,
        group: gr.group,
        kind: gr.resource,
      }),
    );
  },
  generateNameConflict(gr: GroupResource, name: string): ApiError {
    return err(
      failure(
        409,
        'AlreadyExists',
        `${qualified(gr)} "${name}" already exists, the server was not able to generate a unique name for the object`,
        {
          name,
          group: gr.group,
          kind: gr.resource,
          retryAfterSeconds: 1,
        },
      ),
    );
  },
  conflict(gr: GroupResource | GroupKind, name: string, why: string): ApiError {
    const kind = 'resource' in gr ? gr.resource : gr.kind;
    return err(
      failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, {
        name,
        group: gr.group,
        kind,
      }),
    );
  },
  /** The optimistic-lock conflict of an update with a stale resourceVersion (registry/generic/registry/store.go). */
  modified(gr: GroupResource, name: string): ApiError {
    return Errors.conflict(gr, name, OPTIMISTIC_LOCK_MESSAGE);
  },
  invalid(
    gk: GroupKind,
    name: string,
    causes: Array<{ field: string; type: string; message: string }>,
  ): ApiError {
    const seen = new Set<string>();
    const lines: string[] = [];
    for (const c of causes) {
      const line = c.field ? `${c.field}: ${c.message}` : c.message;
      if (!seen.has(line)) (seen.add(line), lines.push(line));
    }
    // utilerrors.NewAggregate: one error as it is, several in brackets.
    const agg = lines.length === 0 ? '' : lines.length === 1 ? `: ${lines[0]}` : `: [${lines.join(', ')}]`;
    return err(
      failure(422, 'Invalid', `${qualified(gk)} "${name}" is invalid${agg}`, {
        name,
        group: gk.group,
        kind: gk.kind,
        causes: causes.map((c) => ({ reason: causeReason(c.type), message: c.message, field: c.field })),
      }),
    );
  },
  badRequest(message: string): ApiError {
    return err(failure(400, 'BadRequest', message));
  },
  forbidden(gr: GroupResource | undefined, name: string, why: string): ApiError {
    const message =
      !gr || !gr.resource
        ? `forbidden: ${why}`
        : name
          ? `${qualified(gr)} "${name}" is forbidden: ${why}`
          : `${qualified(gr)} is forbidden: ${why}`;
    return err(failure(403, 'Forbidden', message, { name, group: gr?.group, kind: gr?.resource }));
  },
  unauthorized(message = 'Unauthorized'): ApiError {
    return err(failure(401, 'Unauthorized', message));
  },
  methodNotSupported(gr: GroupResource, action: string): ApiError {
    return err(
      failure(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${qualified(gr)}"`, {
        group: gr.group,
        kind: gr.resource,
      }),
    );
  },
  notAcceptable(accepted: string[]): ApiError {
    return err(
      failure(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`),
    );
  },
  /** `hint` says what to do about it (this server's addition after the real wording). */
  unsupportedMediaType(accepted: string[], hint?: string): ApiError {
    const base = `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`;
    return err(failure(415, 'UnsupportedMediaType', hint ? `${base}; ${hint}` : base));
  },
  expired(message: string): ApiError {
    return err(failure(410, 'Expired', message));
  },
  gone(message: string): ApiError {
    return err(failure(410, 'Gone', message));
  },
  serviceUnavailable(message: string, retryAfterSeconds?: number): ApiError {
    const headers: Record<string, string> = retryAfterSeconds
      ? { 'Retry-After': String(retryAfterSeconds) }
      : {};
    return err(
      failure(503, 'ServiceUnavailable', message, retryAfterSeconds ? { retryAfterSeconds } : undefined),
      headers,
    );
  },
  internal(cause: unknown): ApiError {
    const text = cause instanceof Error ? cause.message : String(cause);
    return err(
      failure(500, 'InternalError', `Internal error occurred: ${text}`, { causes: [{ message: text }] }),
    );
  },
  timeout(message: string, retryAfterSeconds = 0, causes?: StatusCause[]): ApiError {
    return err(failure(504, 'Timeout', `Timeout: ${message}`, { retryAfterSeconds, causes }));
  },
  tooLarge(message: string): ApiError {
    return err(failure(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`));
  },
};

export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

// field.ErrorType → metav1.CauseType, for validators that name the type ('Required') rather than the cause.
const CAUSE_TYPES: Record<string, string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  Forbidden: 'FieldValueForbidden',
  Duplicate: 'FieldValueDuplicate',
  NotFound: 'FieldValueNotFound',
  NotSupported: 'FieldValueNotSupported',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  InternalError: 'InternalError',
  TypeInvalid: 'FieldValueTypeInvalid',
};

function causeReason(type: string): string {
  return CAUSE_TYPES[type] ?? type;
}

/** The Status a successful delete of a resource without ReturnDeletedObject answers with. */
export function successStatus(details: StatusDetails): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: compactDetails(details),
  };
}

/**
 * A storage failure as the client must see it (storage/errors.ts header table). `gr`/`name` name
 * the object the request was about, so NotFound and Conflict read like the real server's.
 */
export function fromStorageError(e: StorageError, gr: GroupResource, name = ''): ApiError {
  switch (e.code) {
    case 'NOT_FOUND':
      return Errors.notFound(gr, name);
    case 'ALREADY_EXISTS':
      return Errors.alreadyExists(gr, name);
    case 'CONFLICT':
      return Errors.modified(gr, name);
    case 'EXPIRED':
      return Errors.expired(e.message.replace(/^.*?: (too old resource version)/, '$1'));
    case 'REVISION_TOO_LARGE':
      return Errors.timeout(
        `Too large resource version: ${(e as StorageError & { revision?: string }).revision ?? ''}, current: ${(e as StorageError & { currentRevision?: string }).currentRevision ?? ''}`,
        1,
        [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      );
    case 'INVALID_ARGUMENT':
      return Errors.badRequest(e.message);
    case 'UNAVAILABLE':
      return Errors.serviceUnavailable(e.message, 1);
    default:
      return Errors.internal(e);
  }
}

/**
 * Any thrown value as an ApiError: ApiErrors pass, storage errors map by their table, the sibling
 * modules' errors by their codes (selectors 400, patch its own status, registry admission 403),
 * anything else is a 500.
 */
export function toApiError(e: unknown, gr?: GroupResource, name = ''): ApiError {
  if (e instanceof ApiError) return e;
  const target = gr ?? { group: '', resource: '' };
  if (isStorageError(e)) return fromStorageError(e, target, name);
  const { code, status, reason, message } = (e ?? {}) as {
    code?: unknown;
    status?: unknown;
    reason?: unknown;
    message?: string;
  };
  const text = message ?? String(e);
  switch (code) {
    case 'SELECTOR_INVALID':
    case 'NAMESPACE_MISMATCH':
      return Errors.badRequest(text);
    case 'ADMISSION_FORBIDDEN':
      return Errors.forbidden(target, name, text);
    case 'PATCH_INVALID':
    case 'PATCH_TEST_FAILED':
    case 'PATCH_UNSUPPORTED':
      if (typeof status === 'number')
        return patchFailure(status, typeof reason === 'string' ? reason : '', text);
  }
  return Errors.internal(e);
}

// A PatchError carries kube-apiserver's status and reason for the same patch.
function patchFailure(code: number, reason: string, message: string): ApiError {
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(reason ? { reason: reason as StatusReason } : {}),
    code,
  });
}
