/**
 * The create-only review resources: who am I (SelfSubjectReview), may I (SelfSubjectAccessReview,
 * `kubectl auth can-i`), may they (SubjectAccessReview, LocalSubjectAccessReview: the kubelet's
 * webhook authorizer asks these), answered by this server's own authorizer. TokenReview answers
 * "not authenticated": the shim authenticates only client certificates.
 */
import { authorize, type UserInfo } from '../auth/index.js';
import type { RequestInfo } from '../router.js';
import { Errors } from '../status.js';
import { decodeBody, respond } from './content.js';
import type { Scope } from './context.js';
import { storageNodeGraph } from './graph.js';
import type { Obj } from './objects.js';
import type { ApiResponse } from './types.js';

export async function review(scope: Scope): Promise<ApiResponse> {
  const body = (decodeBody(scope.req) as Obj) ?? {};
  const base = {
    kind: scope.resource.kind,
    apiVersion: `${scope.resource.group}/${scope.resource.version}`,
    metadata: { creationTimestamp: null },
  };
  switch (scope.resource.plural) {
    case 'selfsubjectreviews':
      return respond(
        201,
        { ...base, status: { userInfo: { username: scope.user.name, groups: scope.user.groups } } },
        scope.output,
      );
    case 'selfsubjectaccessreviews':
      return respond(
        201,
        { ...base, spec: body.spec ?? {}, status: await decide(scope, scope.user, body.spec ?? {}) },
        scope.output,
      );
    case 'subjectaccessreviews':
    case 'localsubjectaccessreviews': {
      const spec = body.spec ?? {};
      const user: UserInfo = {
        name: String(spec.user ?? ''),
        groups: Array.isArray(spec.groups) ? spec.groups : [],
      };
      const ns = scope.resource.plural === 'localsubjectaccessreviews' ? scope.namespace : undefined;
      const attrs =
        ns !== undefined && spec.resourceAttributes
          ? { ...spec, resourceAttributes: { ...spec.resourceAttributes, namespace: ns } }
          : spec;
      return respond(201, { ...base, spec, status: await decide(scope, user, attrs) }, scope.output);
    }
    case 'tokenreviews':
      return respond(
        201,
        {
          ...base,
          spec: body.spec ?? {},
          status: {
            user: {},
            authenticated: false,
            error: 'the API shim authenticates client certificates only',
          },
        },
        scope.output,
      );
  }
  throw Errors.pathNotFound();
}

async function decide(scope: Scope, user: UserInfo, spec: Obj): Promise<Obj> {
  const ra = spec.resourceAttributes as Obj | undefined;
  const nra = spec.nonResourceAttributes as Obj | undefined;
  const info: RequestInfo = ra
    ? {
        method: '',
        path: '',
        query: new URLSearchParams(),
        isResourceRequest: true,
        verb: String(ra.verb ?? ''),
        apiPrefix: ra.group ? 'apis' : 'api',
        group: String(ra.group ?? ''),
        version: String(ra.version ?? ''),
        namespace: String(ra.namespace ?? ''),
        resource: String(ra.resource ?? ''),
        name: String(ra.name ?? ''),
        subresource: String(ra.subresource ?? ''),
        parts: [],
      }
    : {
        method: '',
        path: String(nra?.path ?? ''),
        query: new URLSearchParams(),
        isResourceRequest: false,
        verb: String(nra?.verb ?? ''),
        apiPrefix: '',
        group: '',
        version: '',
        namespace: '',
        resource: '',
        name: '',
        subresource: '',
        parts: [],
      };
  try {
    await authorize(user, info, { mode: 'standalone', graph: storageNodeGraph(scope.ctx) });
    return { allowed: true };
  } catch (e) {
    const message = (e as Error).message;
    return {
      allowed: false,
      reason: message.includes(': ') ? message.slice(message.lastIndexOf(': ') + 2) : '',
    };
  }
}
