/**
 * Service defaults (k/k:pkg/apis/core/v1/defaults.go SetDefaults_Service) and what the service
 * REST storage adds on create (k/k:pkg/registry/core/service/storage/alloc.go): cluster IPs,
 * IP families and node ports. Allocation itself belongs to the handler, through the hooks.
 */
import { RegistryUsageError } from '../errors.js';
import { child, isObject, objectsAt, setDefault } from '../json.js';
import type { JsonObject } from '../types.js';

export type IPFamily = 'IPv4' | 'IPv6';

export interface ServiceAllocationOptions {
  /** The cluster's primary service IP family (--service-cluster-ip-range); IPv4 by default. */
  serviceIPFamily?: IPFamily;
  /** Allocates a free cluster IP of the family; called when a service needs one and names none. */
  allocateClusterIP?: (family: IPFamily) => string;
  /** Allocates a free node port; called for NodePort/LoadBalancer ports that name none. */
  allocateNodePort?: () => number;
}

/** SetDefaults_Service: applied on every decode. */
export function defaultService(service: JsonObject): void {
  const spec = isObject(service.spec) ? service.spec : (service.spec = {});
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const clientIP = child(child(spec, 'sessionAffinityConfig'), 'clientIP');
    if (!clientIP || clientIP.timeoutSeconds === undefined) {
      // v1.DefaultClientIPServiceAffinitySeconds: 3 hours
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    }
  }
  setDefault(spec, 'type', 'ClusterIP');
  for (const port of objectsAt(spec, 'ports')) {
    setDefault(port, 'protocol', 'TCP');
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '')
      port.targetPort = port.port;
  }
  const externallyAccessible =
    spec.type === 'NodePort' ||
    spec.type === 'LoadBalancer' ||
    (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (externallyAccessible) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') {
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  }
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
}

/**
 * The service REST storage on create: status emptied, then for every type but ExternalName a
 * cluster IP (unless 'None'), clusterIPs, ipFamilyPolicy and ipFamilies; node ports for
 * NodePort/LoadBalancer. ExternalName services get none of these (they are cleared upstream).
 */
export function prepareServiceForCreate(service: JsonObject, opts: ServiceAllocationOptions): void {
  const spec = isObject(service.spec) ? service.spec : (service.spec = {});
  service.status = { loadBalancer: {} };
  if (spec.type === 'ExternalName') return;
  const primary: IPFamily = opts.serviceIPFamily ?? 'IPv4';
  const headless = spec.clusterIP === 'None';
  if (!spec.clusterIP && Array.isArray(spec.clusterIPs) && typeof spec.clusterIPs[0] === 'string') {
    spec.clusterIP = spec.clusterIPs[0];
  }
  const requested =
    Array.isArray(spec.ipFamilies) && spec.ipFamilies.length > 0
      ? (spec.ipFamilies as IPFamily[])
      : undefined;
  const givenIP =
    typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && !headless ? spec.clusterIP : undefined;
  const family: IPFamily = requested?.[0] ?? (givenIP ? (givenIP.includes(':') ? 'IPv6' : 'IPv4') : primary);
  // A headless service without selector takes every family the cluster has (RequireDualStack).
  const noSelector = !isObject(spec.selector) || Object.keys(spec.selector).length === 0;
  setDefault(spec, 'ipFamilyPolicy', headless && noSelector ? 'RequireDualStack' : 'SingleStack');
  spec.ipFamilies = requested ?? [family];
  if (!headless && !givenIP) {
    if (!opts.allocateClusterIP)
      throw new RegistryUsageError('a service needs a cluster IP but no allocateClusterIP hook was given');
    spec.clusterIP = opts.allocateClusterIP(family);
  }
  if (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0) spec.clusterIPs = [spec.clusterIP];
  const needsNodePorts =
    spec.type === 'NodePort' ||
    (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
  if (needsNodePorts) {
    for (const port of objectsAt(spec, 'ports')) {
      if (port.nodePort) continue;
      if (!opts.allocateNodePort)
        throw new RegistryUsageError('a service needs a node port but no allocateNodePort hook was given');
      port.nodePort = opts.allocateNodePort();
    }
  }
}

/**
 * On update the REST storage keeps what was allocated when the new object leaves it out
 * (storage.go patchAllocatedValues): the clusterIP(s), ipFamilies, ipFamilyPolicy, node ports
 * of ports with the same port and protocol, and the health check node port.
 */
export function carryServiceAllocations(service: JsonObject, old: JsonObject): void {
  const spec = child(service, 'spec');
  const oldSpec = child(old, 'spec');
  if (!spec || !oldSpec || spec.type === 'ExternalName') return;
  for (const field of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'healthCheckNodePort']) {
    if ((spec[field] === undefined || spec[field] === '') && oldSpec[field] !== undefined)
      spec[field] = oldSpec[field];
  }
  if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') return;
  for (const port of objectsAt(spec, 'ports')) {
    if (port.nodePort) continue;
    const match = objectsAt(oldSpec, 'ports').find(
      (p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP') && p.nodePort,
    );
    if (match) port.nodePort = match.nodePort;
  }
}
