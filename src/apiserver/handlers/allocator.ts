/**
 * Service cluster IPs and node ports, as the service REST storage allocates them: dynamic IPs from
 * the top of the range down (KEP-3070 keeps the low band for explicit requests such as cluster DNS
 * at .10 and the API service at .1), an explicit IP must be in range and free. The in-use set is
 * read from the stored Services each time under a lock, so the etcd-written objects are the
 * truth and the real apiserver's repair controller finds a consistent bitmap to rebuild.
 */
import { Errors } from '../status.js';
import type { Storage } from '../storage/index.js';
import type { Obj } from './objects.js';

const SERVICES_PREFIX = '/registry/services/specs';
const NODE_PORT_RANGE = [30000, 32767] as const;

export interface Cidr {
  base: number;
  bits: number;
  text: string;
}

/** An IPv4 CIDR; IPv6 service networks are not allocated from by this shim. */
export function parseCidr(text: string): Cidr {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`not an IPv4 CIDR: ${text}`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 30 || bits < 8)
    throw new Error(`not a usable service CIDR: ${text}`);
  const ip = ipToInt(octets.join('.'))!;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (ip & mask) >>> 0, bits, text: text.trim() };
}

function ipToInt(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  return m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** The first address of the range after the network address: the `kubernetes` Service's IP. */
export function firstServiceIP(cidr: Cidr): string {
  return intToIp(cidr.base + 1);
}

export class ServiceAllocator {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly storage: Storage,
    private readonly cidr: Cidr,
  ) {}

  /**
   * Runs `create` with allocation hooks while no other service create runs, so two creates never
   * take the same IP. `create` gets the hooks and must store the object before it returns.
   */
  async withAllocation<T>(
    create: (hooks: {
      allocateClusterIP: () => string;
      allocateNodePort: () => number;
      check: (svc: Obj) => void;
    }) => Promise<T>,
  ): Promise<T> {
    const run = this.queue.then(async () => {
      const { ips, ports } = await this.inUse();
      const hooks = {
        allocateClusterIP: () => {
          const size = 2 ** (32 - this.cidr.bits);
          for (let off = size - 2; off >= 1; off--) {
            const ip = intToIp(this.cidr.base + off);
            if (!ips.has(ip)) {
              ips.add(ip);
              return ip;
            }
          }
          throw Errors.internal(`range is full: no free cluster IP in ${this.cidr.text}`);
        },
        allocateNodePort: () => {
          for (let p = NODE_PORT_RANGE[0]; p <= NODE_PORT_RANGE[1]; p++) {
            if (!ports.has(p)) {
              ports.add(p);
              return p;
            }
          }
          throw Errors.internal('range is full: no free node port');
        },
        check: (svc: Obj) => this.check(svc, ips),
      };
      return create(hooks);
    });
    this.queue = run.catch(() => {});
    return run;
  }

  // An explicit cluster IP (checked on the body, before anything is allocated) must be in range and free.
  private check(svc: Obj, inUse: Set<string>): void {
    const ip = svc.spec?.clusterIP || svc.spec?.clusterIPs?.[0];
    if (typeof ip !== 'string' || ip === '' || ip === 'None' || ip.includes(':')) return;
    const n = ipToInt(ip);
    const size = 2 ** (32 - this.cidr.bits);
    const field = [{ field: 'spec.clusterIPs', type: 'FieldValueInvalid' }];
    if (n === undefined || n <= this.cidr.base || n >= this.cidr.base + size - 1) {
      throw Errors.invalid({ group: '', kind: 'Service' }, svc.metadata?.name ?? '', [
        {
          ...field[0]!,
          message: `Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`,
        },
      ]);
    }
    if (inUse.has(ip)) {
      throw Errors.invalid({ group: '', kind: 'Service' }, svc.metadata?.name ?? '', [
        {
          ...field[0]!,
          message: `Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP is already allocated`,
        },
      ]);
    }
  }

  private async inUse(): Promise<{ ips: Set<string>; ports: Set<number> }> {
    const res = await this.storage.list(SERVICES_PREFIX);
    const ips = new Set<string>();
    const ports = new Set<number>();
    for (const item of res.items) {
      const spec = (item.object as Obj).spec ?? {};
      for (const ip of [spec.clusterIP, ...(spec.clusterIPs ?? [])])
        if (typeof ip === 'string' && ip && ip !== 'None') ips.add(ip);
      for (const p of spec.ports ?? []) if (typeof p.nodePort === 'number') ports.add(p.nodePort);
      if (typeof spec.healthCheckNodePort === 'number') ports.add(spec.healthCheckNodePort);
    }
    return { ips, ports };
  }
}
