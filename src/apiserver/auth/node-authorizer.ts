/**
 * The Node authorizer (k/k plugin/pkg/auth/authorizer/node/node_authorizer.go, with the
 * AuthorizeNodeWithSelectors gate on as in 1.32): a kubelet reads and writes what it needs for
 * itself and nothing else. Object relationships ("is this secret used by a pod bound to me?") come
 * from a NodeGraph the handler layer implements on storage, so this file stays pure policy.
 */
import type { RequestInfo } from '../router.js';

/** The kinds of objects the graph relates to a node, as the real authorizer's vertex types. */
export type VertexType =
  'pod' | 'secret' | 'configmap' | 'serviceaccount' | 'pvc' | 'pv' | 'volumeattachment';

/** Answers whether an object is reachable from a node: node ← pod ← secret, configmap, SA, PVC ← PV. */
export interface NodeGraph {
  hasPathFrom(nodeName: string, type: VertexType, namespace: string, name: string): Promise<boolean>;
}

export interface Decision {
  allowed: boolean;
  /** Why not, in the real authorizer's words; appended to the Forbidden message. */
  reason: string;
}

const allow: Decision = { allowed: true, reason: '' };
const deny = (reason = ''): Decision => ({ allowed: false, reason });

// bootstrappolicy.NodeRules(): what every node may do, for resources the authorizer does not subdivide.
const NODE_RULES: Array<[string[], string[], string[]]> = [
  [['create'], ['authentication.k8s.io'], ['tokenreviews']],
  [['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']],
  [['get', 'list', 'watch'], [''], ['services']],
  [['create', 'get', 'list', 'watch'], [''], ['nodes']],
  [['update', 'patch'], [''], ['nodes/status', 'nodes']],
  [['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']],
  [['get', 'list', 'watch'], [''], ['pods']],
  [['create', 'delete'], [''], ['pods']],
  [['update', 'patch'], [''], ['pods/status']],
  [['create'], [''], ['pods/eviction']],
  [['get', 'list', 'watch'], [''], ['secrets', 'configmaps']],
  [['get'], [''], ['persistentvolumeclaims', 'persistentvolumes', 'endpoints']],
  [['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']],
  [['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']],
  [['get'], ['storage.k8s.io'], ['volumeattachments']],
  [['create'], [''], ['serviceaccounts/token']],
  [['get', 'update', 'patch'], [''], ['persistentvolumeclaims/status']],
  [['get', 'list', 'watch'], ['storage.k8s.io'], ['csidrivers']],
  [['get', 'create', 'update', 'patch', 'delete'], ['storage.k8s.io'], ['csinodes']],
  [['get', 'list', 'watch'], ['node.k8s.io'], ['runtimeclasses']],
];

function rulesAllow(info: RequestInfo): boolean {
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  return NODE_RULES.some(
    ([verbs, groups, resources]) =>
      verbs.includes(info.verb) && groups.includes(info.group) && resources.includes(resource),
  );
}

/** The Node authorizer's decision for a request from node `nodeName`. */
export async function authorizeNode(
  nodeName: string,
  info: RequestInfo,
  graph: NodeGraph,
): Promise<Decision> {
  if (!nodeName) return deny(`unknown node for user "system:node:"`);
  if (!info.isResourceRequest) return deny();
  const related = async (type: VertexType): Promise<Decision> => {
    if (!info.name) return deny('No Object name found');
    return (await graph.hasPathFrom(nodeName, type, info.namespace, info.name))
      ? allow
      : deny(`no relationship found between node '${nodeName}' and this object`);
  };
  const readNamespaced = async (type: VertexType): Promise<Decision> => {
    if (!['get', 'list', 'watch'].includes(info.verb)) return deny('can only read resources of this type');
    if (info.subresource) return deny('cannot read subresource');
    if (!info.namespace) return deny('can only read namespaced object of this type');
    return related(type);
  };
  const getOnly = async (type: VertexType): Promise<Decision> => {
    if (info.verb !== 'get') return deny('can only get individual resources of this type');
    if (info.subresource) return deny('cannot get subresource');
    return related(type);
  };
  const gr = `${info.resource}.${info.group}`;
  switch (gr) {
    case 'secrets.':
      return readNamespaced('secret');
    case 'configmaps.':
      return readNamespaced('configmap');
    case 'persistentvolumeclaims.':
      if (info.subresource === 'status') {
        if (info.verb !== 'update' && info.verb !== 'patch')
          return deny('can only get/update/patch this type');
        return related('pvc');
      }
      return getOnly('pvc');
    case 'persistentvolumes.':
      return getOnly('pv');
    case 'volumeattachments.storage.k8s.io':
      return getOnly('volumeattachment');
    case 'serviceaccounts.':
      if (info.verb !== 'create' || !info.name)
        return deny('can only create tokens for individual service accounts');
      if (info.subresource !== 'token') return deny('can only create token subresource of serviceaccount');
      return related('serviceaccount');
    case 'leases.coordination.k8s.io':
      if (!['get', 'create', 'update', 'patch', 'delete'].includes(info.verb))
        return deny('can only get, create, update, patch, or delete a node lease');
      if (info.namespace !== 'kube-node-lease')
        return deny('can only access leases in the "kube-node-lease" system namespace');
      if (info.verb !== 'create' && info.name !== nodeName)
        return deny('can only access node lease with the same name as the requesting node');
      return allow;
    case 'csinodes.storage.k8s.io':
      if (!['get', 'create', 'update', 'patch', 'delete'].includes(info.verb))
        return deny('can only get, create, update, patch, or delete a CSINode');
      if (info.subresource) return deny('cannot authorize CSINode subresources');
      if (info.verb !== 'create' && info.name !== nodeName)
        return deny('can only access CSINode with the same name as the requesting node');
      return allow;
    case 'nodes.':
      return authorizeNodeObject(nodeName, info);
    case 'pods.':
      return authorizePod(nodeName, info, related);
  }
  return rulesAllow(info) ? allow : deny();
}

function authorizeNodeObject(nodeName: string, info: RequestInfo): Decision {
  if (info.subresource === '') {
    // Creating and updating any node passes here; NodeRestriction limits it to the node's own.
    if (['create', 'update', 'patch'].includes(info.verb)) return allow;
    if (['get', 'list', 'watch'].includes(info.verb)) {
      if (info.name === nodeName) return allow;
      if (info.name === '') return deny(`node '${nodeName}' cannot read all nodes, only its own Node object`);
      return deny(`node '${nodeName}' cannot read '${info.name}', only its own Node object`);
    }
  } else if (info.subresource === 'status' && (info.verb === 'update' || info.verb === 'patch')) {
    return allow;
  }
  return deny();
}

async function authorizePod(
  nodeName: string,
  info: RequestInfo,
  related: (t: VertexType) => Promise<Decision>,
): Promise<Decision> {
  switch (info.subresource) {
    case '':
      if (info.verb === 'get') return related('pod');
      if (info.verb === 'list' || info.verb === 'watch') {
        if (selectsNode(info.fieldSelector ?? '', nodeName)) return allow;
        if (info.name) return related('pod');
        return deny('can only list/watch pods with spec.nodeName field selector');
      }
      // Mirror pods; NodeRestriction limits them to the node's own.
      if (info.verb === 'create' || info.verb === 'delete') return allow;
      break;
    case 'status':
      if (info.verb === 'update' || info.verb === 'patch') return allow;
      break;
    case 'eviction':
      if (info.verb === 'create') return allow;
      break;
  }
  return deny();
}

// One `spec.nodeName=<node>` (or ==) term anywhere in the field selector.
function selectsNode(selector: string, nodeName: string): boolean {
  return selector.split(',').some((term) => {
    const m = /^\s*spec\.nodeName\s*==?\s*(.*?)\s*$/.exec(term);
    return m !== null && !term.includes('!=') && m[1] === nodeName;
  });
}
