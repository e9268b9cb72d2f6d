/**
 * Authorization as a kube-apiserver with `--authorization-mode=Node,RBAC` and only the bootstrap
 * RBAC policy answers: `system:masters` may do anything, nodes what the Node authorizer grants,
 * every authenticated user discovery, everyone (anonymous too) the health and version endpoints.
 * Bootstrap mode (DESIGN §3 step 3) serves exactly two identities and tells everyone else to come
 * back later (503 + Retry-After), so the bootstrap controller-manager and scheduler keep retrying
 * until the real apiserver takes over, instead of crash-looping on a 403.
 */
import type { RequestInfo } from '../router.js';
import { ApiError, Errors } from '../status.js';
import { MASTERS_GROUP, nodeIdentity, type UserInfo } from './authenticate.js';
import { authorizeNode, type NodeGraph } from './node-authorizer.js';

export interface AuthorizerOptions {
  mode: 'bootstrap' | 'standalone';
  /** Bootstrap mode: the one node served besides system:masters. */
  nodeName?: string;
  graph: NodeGraph;
}

// system:public-info-viewer, bound to system:authenticated and system:unauthenticated.
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);
// system:discovery, bound to system:authenticated.
const DISCOVERY_PREFIXES = ['/api', '/apis', '/openapi'];
// system:basic-user: a user may always ask what it may do.
const SELF_REVIEWS = new Set([
  'selfsubjectaccessreviews.authorization.k8s.io',
  'selfsubjectrulesreviews.authorization.k8s.io',
  'selfsubjectreviews.authentication.k8s.io',
]);
// Control-plane components of this cluster (render gives them certificates with these CNs); their
// bootstrap ClusterRoles are broad, and the shim has no RBAC engine to narrow them.
const COMPONENTS = new Set(['system:kube-controller-manager', 'system:kube-scheduler']);

/** True for the paths the anonymous user may read (also exempt from the bootstrap gate). */
export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.has(path) || /^\/(healthz|livez|readyz)\/[^/]+$/.test(path);
}

/** Throws the Status the real server answers with when `user` may not do what `info` asks; returns otherwise. */
export async function authorize(user: UserInfo, info: RequestInfo, opts: AuthorizerOptions): Promise<void> {
  const masters = user.groups.includes(MASTERS_GROUP);
  const node = nodeIdentity(user);
  if (
    opts.mode === 'bootstrap' &&
    !masters &&
    !(node.isNode && node.nodeName === opts.nodeName) &&
    !isPublicPath(info.path)
  ) {
    throw Errors.serviceUnavailable(
      `the API server is a bootstrap shim serving only node "${opts.nodeName ?? ''}" and system:masters; retry until the control plane's API server takes over`,
      1,
    );
  }
  if (masters) return;
  if (!info.isResourceRequest) {
    if (info.verb === 'get' || info.verb === 'head') {
      if (isPublicPath(info.path)) return;
      const authenticated = user.groups.includes('system:authenticated');
      if (authenticated && DISCOVERY_PREFIXES.some((p) => info.path === p || info.path.startsWith(`${p}/`)))
        return;
    }
    throw forbidden(user, info, '');
  }
  if (
    user.groups.includes('system:authenticated') &&
    info.verb === 'create' &&
    SELF_REVIEWS.has(`${info.resource}.${info.group}`)
  )
    return;
  if (COMPONENTS.has(user.name) && opts.mode === 'standalone') return;
  if (node.isNode) {
    const d = await authorizeNode(node.nodeName, info, opts.graph);
    if (d.allowed) return;
    throw forbidden(user, info, d.reason);
  }
  throw forbidden(user, info, '');
}

/** responsewriters.ForbiddenStatusError: `User "x" cannot <verb> resource "<r>[/<sub>]" in API group "<g>" …`. */
export function forbidden(user: UserInfo, info: RequestInfo, reason: string): ApiError {
  let msg: string;
  if (!info.isResourceRequest) {
    msg = `User "${user.name}" cannot ${info.verb} path "${info.path}"`;
  } else {
    const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    msg = info.namespace
      ? `User "${user.name}" cannot ${info.verb} resource "${resource}" in API group "${info.group}" in the namespace "${info.namespace}"`
      : `User "${user.name}" cannot ${info.verb} resource "${resource}" in API group "${info.group}" at the cluster scope`;
  }
  const why = reason ? `${msg}: ${reason}` : msg;
  const gr = info.isResourceRequest ? { group: info.group, resource: info.resource } : undefined;
  return Errors.forbidden(gr, info.name, why);
}
