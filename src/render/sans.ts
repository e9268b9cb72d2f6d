/**
 * Subject alternative names of the serving certificates, computed from the cluster config.
 */
import { parseIp } from '../config/network.js';
import type { ClusterConfig } from '../config/types.js';
import { urlHost } from '../config/validate.js';
import type { SubjectAltNames } from '../pki/types.js';

function addHost(sans: SubjectAltNames, host: string): void {
  const ip = parseIp(host);
  const list = ip ? sans.ips : sans.dns;
  const value = ip ? ip.toString() : host.toLowerCase();
  if (!list.includes(value)) list.push(value);
}

/** Every name a client may use to reach the apiserver: the URLs' hosts, the alt names, the `kubernetes` service by IP and name, and loopback. */
export function apiServerSans(config: ClusterConfig): SubjectAltNames {
  const sans: SubjectAltNames = { dns: [], ips: [] };
  for (const url of config.apiServers) addHost(sans, urlHost(url));
  for (const name of config.apiServerAltNames.dns) addHost(sans, name);
  for (const ip of config.apiServerAltNames.ips) addHost(sans, ip);
  addHost(sans, config.apiServiceIp);
  for (const name of ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${config.clusterDomain}`, 'localhost']) {
    addHost(sans, name);
  }
  addHost(sans, '127.0.0.1');
  return sans;
}

/** Names of etcd's server and peer certificates: the hosts of the etcd URLs, the first master's name, and loopback. */
export function etcdSans(config: ClusterConfig): SubjectAltNames {
  const sans: SubjectAltNames = { dns: [], ips: [] };
  for (const url of config.etcd.servers) addHost(sans, urlHost(url));
  for (const host of [config.nodeName, 'localhost', '127.0.0.1', '::1']) addHost(sans, host);
  return sans;
}
