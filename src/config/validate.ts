/**
 * Validators for single settings. Each returns the parsed value or throws a ConfigError naming the
 * setting's source (a flag or a config-file field) and saying what would be accepted.
 */
import { ConfigError } from './errors.js';
import { parseCidr, parseIp } from './network.js';
import type { Cidr } from './types.js';
import type { Setting } from './settings.js';

const DNS_LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
const DNS_SUBDOMAIN = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);

/** A lowercase RFC 1123 subdomain, as Kubernetes requires of node names and domains. */
export function isDnsSubdomain(text: string): boolean {
  return text.length <= 253 && DNS_SUBDOMAIN.test(text);
}

export function requireDnsSubdomain(setting: Setting, what: string): string {
  const text = setting.value as string;
  if (!isDnsSubdomain(text)) {
    throw new ConfigError(setting.source, `"${text}" is not a valid ${what}`, {
      hint: 'use lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
    });
  }
  return text;
}

/** Parses one URL of a list setting; `schemes` are the accepted protocols without the colon. */
export function parseServerUrl(setting: Setting, text: string, schemes: string[], example: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(setting.source, `"${text}" is not a URL`, { hint: `write it like ${example}` });
  }
  const scheme = url.protocol.slice(0, -1);
  if (!schemes.includes(scheme)) {
    throw new ConfigError(setting.source, `"${text}" has scheme "${scheme}"`, {
      hint: `use ${schemes.map((s) => `${s}://`).join(' or ')}, e.g. ${example}`,
    });
  }
  if (!url.hostname) throw new ConfigError(setting.source, `"${text}" has no host`, { hint: `write it like ${example}` });
  if (!url.port) {
    throw new ConfigError(setting.source, `"${text}" has no port`, { hint: `give the port explicitly, e.g. ${example}` });
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ConfigError(setting.source, `"${text}" must be only scheme://host:port`, { hint: `e.g. ${example}` });
  }
  return url;
}

/** A URL's host without IPv6 brackets. */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Comma-separated flag values and YAML lists arrive the same way: as a list of non-empty strings. */
export function listOf(setting: Setting): string[] {
  const items = Array.isArray(setting.value) ? setting.value : setting.value.split(',');
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

export function requireCidr(setting: Setting): Cidr {
  const text = (setting.value as string).trim();
  if (text.includes(',')) {
    throw new ConfigError(setting.source, `"${text}" lists several networks`, {
      hint: 'dual-stack is not supported yet: give one network',
    });
  }
  const cidr = parseCidr(text);
  if (!cidr) {
    throw new ConfigError(setting.source, `"${text}" is not a CIDR`, {
      hint: 'write an address and a prefix length, e.g. 10.2.0.0/16',
    });
  }
  return cidr;
}

/** Parses `IP=1.2.3.4` and `DNS=name` entries into SAN lists. */
export function parseAltNames(setting: Setting): { dns: string[]; ips: string[] } {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const entry of listOf(setting)) {
    const eq = entry.indexOf('=');
    const type = eq < 0 ? '' : entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    if (type === 'IP') {
      const ip = parseIp(value);
      if (!ip) throw new ConfigError(setting.source, `"${entry}": "${value}" is not an IP address`);
      ips.push(ip.toString());
    } else if (type === 'DNS') {
      const name = value.toLowerCase();
      if (!isDnsSubdomain(name.replace(/^\*\./, ''))) {
        throw new ConfigError(setting.source, `"${entry}": "${value}" is not a DNS name`);
      }
      dns.push(name);
    } else {
      throw new ConfigError(setting.source, `alt name "${entry}" is of unknown type`, {
        hint: 'write IP=<address> or DNS=<name>, comma-separated',
      });
    }
  }
  return { dns, ips };
}
