/** Authentication, authorization and node admission of the API server. */
export {
  authenticate,
  nodeIdentity,
  ANONYMOUS,
  MASTERS_GROUP,
  NODES_GROUP,
  type UserInfo,
  type PeerCertificate,
} from './authenticate.js';
export { authorize, forbidden, isPublicPath, type AuthorizerOptions } from './authorize.js';
export { authorizeNode, type NodeGraph, type VertexType, type Decision } from './node-authorizer.js';
export {
  admitNodeWrite,
  referencedNames,
  type AdmissionAttributes,
  type AdmissionLookups,
} from './node-restriction.js';
