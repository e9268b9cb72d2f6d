// The requests a 1.32 kubelet makes (reference/kubernetes-api-surface.md §1, §3), written down as
// data for the golden test: every request of a run must be one of these, and the requests of each
// track must follow the track's sequence. The kubelet's goroutines run side by side, so there is
// no single total order; what is fixed is the order within a track and the few cross-track
// orderings of ORDER below. Written from the reference, not from the simulation's code.
//
// Tokens are `<NAME><status>`; a sequence is a regular expression over the space-joined tokens.

export interface RequestRule {
  name: string;
  track: string;
  method: string;
  /** Path and query exactly as sent (keys sorted, Go's escaping), as a regular expression. */
  path: RegExp;
  /** The kubelet client that sends it: `heartbeat` requests carry client-go's `timeout=10s`. */
  client: 'kube' | 'heartbeat' | 'event';
  contentType?: 'application/json' | 'application/strategic-merge-patch+json';
}

const N = 'node-1';
const POD = 'default/pods/web';
const WATCH = (path: string, selector?: string) =>
  new RegExp(`^${path}\\?allowWatchBookmarks=true${selector ? `&fieldSelector=${selector}` : ''}&resourceVersion=\\d+&timeoutSeconds=\\d+&watch=true$`);
const LIST = (path: string, selector?: string) => new RegExp(`^${path}\\?${selector ? `fieldSelector=${selector}&` : ''}limit=500&resourceVersion=0$`);
const JSON_TYPE = 'application/json' as const;
const SMP = 'application/strategic-merge-patch+json' as const;

export const RULES: RequestRule[] = [
  // §1.1 the node informer, own node only
  { name: 'NODE_LIST', track: 'nodeInformer', method: 'GET', path: LIST('/api/v1/nodes', `metadata.name%3D${N}`), client: 'kube' },
  { name: 'NODE_WATCH', track: 'nodeInformer', method: 'GET', path: WATCH('/api/v1/nodes', `metadata.name%3D${N}`), client: 'kube' },
  // §1.9 services for environment variables
  { name: 'SVC_LIST', track: 'services', method: 'GET', path: LIST('/api/v1/services', 'spec.clusterIP%21%3DNone'), client: 'kube' },
  { name: 'SVC_WATCH', track: 'services', method: 'GET', path: WATCH('/api/v1/services', 'spec.clusterIP%21%3DNone'), client: 'kube' },
  // §1.13, §1.14 CSIDriver and RuntimeClass informers
  { name: 'CSID_LIST', track: 'csidrivers', method: 'GET', path: LIST('/apis/storage.k8s.io/v1/csidrivers'), client: 'kube' },
  { name: 'CSID_WATCH', track: 'csidrivers', method: 'GET', path: WATCH('/apis/storage.k8s.io/v1/csidrivers'), client: 'kube' },
  { name: 'RC_LIST', track: 'runtimeclasses', method: 'GET', path: LIST('/apis/node.k8s.io/v1/runtimeclasses'), client: 'kube' },
  { name: 'RC_WATCH', track: 'runtimeclasses', method: 'GET', path: WATCH('/apis/node.k8s.io/v1/runtimeclasses'), client: 'kube' },
  // §1.2 registration
  { name: 'REGISTER', track: 'registration', method: 'POST', path: /^\/api\/v1\/nodes$/, client: 'kube', contentType: JSON_TYPE },
  // §1.3 node status, on the heartbeat client (the first try reads the informer, so no GET)
  { name: 'NODE_STATUS', track: 'nodeStatus', method: 'PATCH', path: new RegExp(`^/api/v1/nodes/${N}/status\\?timeout=10s$`), client: 'heartbeat', contentType: SMP },
  // §1.4 the lease, on the heartbeat client; the Node GET is for the owner reference
  { name: 'LEASE_GET', track: 'lease', method: 'GET', path: new RegExp(`^/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${N}\\?timeout=10s$`), client: 'heartbeat' },
  // (also §1.3's node GET, tries 1–4 of a status update)
  { name: 'LEASE_NODE', track: 'lease', method: 'GET', path: new RegExp(`^/api/v1/nodes/${N}\\?timeout=10s$`), client: 'heartbeat' },
  { name: 'LEASE_CREATE', track: 'lease', method: 'POST', path: /^\/apis\/coordination.k8s.io\/v1\/namespaces\/kube-node-lease\/leases\?timeout=10s$/, client: 'heartbeat', contentType: JSON_TYPE },
  { name: 'LEASE_RENEW', track: 'lease', method: 'PUT', path: new RegExp(`^/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${N}\\?timeout=10s$`), client: 'heartbeat', contentType: JSON_TYPE },
  // §1.12 / §0.8 CSINode: the reachability poll (resourceVersion=0), then GET, GET node, POST
  { name: 'CSINODE_POLL', track: 'csinode', method: 'GET', path: new RegExp(`^/apis/storage.k8s.io/v1/csinodes/${N}\\?resourceVersion=0$`), client: 'kube' },
  { name: 'CSINODE_GET', track: 'csinode', method: 'GET', path: new RegExp(`^/apis/storage.k8s.io/v1/csinodes/${N}$`), client: 'kube' },
  { name: 'CSINODE_NODE', track: 'csinode', method: 'GET', path: new RegExp(`^/api/v1/nodes/${N}$`), client: 'kube' },
  { name: 'CSINODE_CREATE', track: 'csinode', method: 'POST', path: /^\/apis\/storage.k8s.io\/v1\/csinodes$/, client: 'kube', contentType: JSON_TYPE },
  // §1.5 the pod source
  { name: 'POD_LIST', track: 'pods', method: 'GET', path: LIST('/api/v1/pods', `spec.nodeName%3D${N}`), client: 'kube' },
  { name: 'POD_WATCH', track: 'pods', method: 'GET', path: WATCH('/api/v1/pods', `spec.nodeName%3D${N}`), client: 'kube' },
  // §1.6 pod status and the final delete
  { name: 'POD_GET', track: 'podStatus', method: 'GET', path: new RegExp(`^/api/v1/namespaces/${POD}$`), client: 'kube' },
  { name: 'POD_STATUS', track: 'podStatus', method: 'PATCH', path: new RegExp(`^/api/v1/namespaces/${POD}/status$`), client: 'kube', contentType: SMP },
  { name: 'POD_DELETE', track: 'podStatus', method: 'DELETE', path: new RegExp(`^/api/v1/namespaces/${POD}$`), client: 'kube', contentType: JSON_TYPE },
  // §1.10 the config map of the projected service-account volume, one reflector for it
  { name: 'CM_LIST', track: 'configmap', method: 'GET', path: LIST('/api/v1/namespaces/default/configmaps', 'metadata.name%3Dkube-root-ca.crt'), client: 'kube' },
  { name: 'CM_WATCH', track: 'configmap', method: 'GET', path: WATCH('/api/v1/namespaces/default/configmaps', 'metadata.name%3Dkube-root-ca.crt'), client: 'kube' },
  // §1.11 the token of the projected service-account volume
  { name: 'TOKEN', track: 'token', method: 'POST', path: /^\/api\/v1\/namespaces\/default\/serviceaccounts\/default\/token$/, client: 'kube', contentType: JSON_TYPE },
  // §1.8 events (core/v1; the Node's in `default`), repeats as patches
  { name: 'EVENT', track: 'events', method: 'POST', path: /^\/api\/v1\/namespaces\/default\/events$/, client: 'event', contentType: JSON_TYPE },
  { name: 'EVENT_REPEAT', track: 'events', method: 'PATCH', path: /^\/api\/v1\/namespaces\/default\/events\/[^/?]+$/, client: 'event', contentType: SMP },
];

/** Per track, the sequence its requests follow in a run from an empty cluster. */
export const SEQUENCES: Record<string, RegExp> = {
  // §1.1, §3.2: one LIST from the watch cache, then watches (re-opened when they time out)
  nodeInformer: /^NODE_LIST200 NODE_WATCH200( NODE_WATCH200)*$/,
  services: /^SVC_LIST200 SVC_WATCH200( SVC_WATCH200)*$/,
  csidrivers: /^CSID_LIST200 CSID_WATCH200( CSID_WATCH200)*$/,
  runtimeclasses: /^RC_LIST200 RC_WATCH200( RC_WATCH200)*$/,
  // §1.2: POST until it is accepted (no 409 from an empty cluster)
  registration: /^(REGISTER0 )*REGISTER201$/,
  // §1.3: patched when something changed or 5 min passed — never a storm of heartbeats
  nodeStatus: /^(NODE_STATUS200 ?){1,6}$/,
  // §1.4: GET → NotFound → GET node (no node yet: no lease this round) … → POST, then PUTs only.
  // LEASE_NODE is also §1.3's retry (tries 1–4 GET the node when the informer has not got it yet):
  // the same request on the same client, so it may show up anywhere in this track.
  lease: /^(LEASE_GET404 (LEASE_NODE\d+ )+)*LEASE_GET404 (LEASE_NODE\d+ )*LEASE_NODE200 LEASE_CREATE201( LEASE_NODE200)*( LEASE_RENEW200( LEASE_NODE200)*)+$/,
  // §1.12: poll until the API answers, then GET → NotFound → GET node → POST (retried while the node is missing)
  csinode: /^(CSINODE_POLL404 )+(CSINODE_GET404 CSINODE_NODE404 )*CSINODE_GET404 CSINODE_NODE200 CSINODE_CREATE201$/,
  // §1.5
  pods: /^POD_LIST200 POD_WATCH200( POD_WATCH200)*$/,
  // §1.6: GET then PATCH for each change (no PATCH when only the UID would be sent), then DELETE
  podStatus: /^(POD_GET200( POD_STATUS200)? )+POD_DELETE200$/,
  configmap: /^CM_LIST200 CM_WATCH200( CM_WATCH200)*$/,
  token: /^TOKEN201$/,
  events: /^EVENT201( (EVENT|EVENT_REPEAT)20[01])*$/,
};

/**
 * Cross-track orderings between first occurrences: `before` completes (or, for `starts`, starts)
 * before `after` starts. Registration is `starts`: another goroutine may see the new Node in etcd
 * while the POST's answer is still on its way back.
 */
export const ORDER: Array<{ before: string; after: string; kind: 'completes' | 'starts'; why: string }> = [
  { before: 'NODE_LIST', after: 'POD_LIST', kind: 'completes', why: '§0.9, §1.5: the pod source waits for the node informer to sync' },
  { before: 'REGISTER', after: 'NODE_STATUS', kind: 'completes', why: '§1.3: status is patched onto a registered node (same goroutine)' },
  { before: 'REGISTER', after: 'LEASE_CREATE', kind: 'starts', why: '§1.4: the Lease needs the Node for its owner reference' },
  { before: 'REGISTER', after: 'CSINODE_CREATE', kind: 'starts', why: '§1.12: the CSINode needs the Node for its owner reference' },
  { before: 'POD_LIST', after: 'POD_GET', kind: 'completes', why: '§1.6: statuses are for pods the source delivered' },
  { before: 'POD_LIST', after: 'TOKEN', kind: 'completes', why: '§1.11: tokens are for pods the source delivered' },
];
