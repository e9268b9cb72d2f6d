/**
 * The kubelet's file pod source (pkg/kubelet/config/file*.go, common.go): every regular file of
 * the static-pod dir whose name does not start with `.`, in name order, parsed as one Pod (YAML or
 * JSON); files that fail are skipped with an error, never the whole dir. Each pod gets what
 * applyDefaults gives it: the namespace `default` if none, the name `<name>-<node>`, spec.nodeName,
 * a NoExecute toleration, phase Pending, and a UID that is a hash of the pod, the host and the
 * file (kept as `kubernetes.io/config.hash`). The kubelet hashes its Go struct; we hash the
 * defaulted object's canonical JSON, so hashes are stable across reboots but not equal to a real
 * kubelet's. Changes are seen through inotify (fs.watch) and a rescan every 20 s
 * (fileCheckFrequency), as the kubelet does both.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rfc3339Nano, type Clock, type Timer } from './clock.js';
import { stableStringify } from './strategic-patch.js';

export type Obj = Record<string, any>;

export const CONFIG_HASH = 'kubernetes.io/config.hash';
export const CONFIG_SOURCE = 'kubernetes.io/config.source';
export const CONFIG_SEEN = 'kubernetes.io/config.seen';
export const CONFIG_MIRROR = 'kubernetes.io/config.mirror';
const FILE_CHECK_MS = 20_000;

/** The pod defaults the API applies, which the file source gets from decoding (so hashes are stable). */
export function defaultPod(pod: Obj): void {
  const spec = (pod.spec ??= {});
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[]) {
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    const tagged = /:[^/]+$/.test(c.image ?? '') || String(c.image ?? '').includes('@');
    c.imagePullPolicy ??= !tagged || String(c.image).endsWith(':latest') ? 'Always' : 'IfNotPresent';
    c.resources ??= {};
  }
}

/** applyDefaults(pod, source, isFile=true, nodeName): the kubelet's own marks on a static pod. */
export function applyFileDefaults(pod: Obj, file: string, nodeName: string): Obj {
  const meta = (pod.metadata ??= {});
  meta.namespace ||= 'default';
  defaultPod(pod);
  if (!meta.uid) {
    const h = createHash('md5');
    h.update(stableStringify(pod));
    h.update(`host:${nodeName}`);
    h.update(`file:${file}`);
    meta.uid = h.digest('hex');
  }
  meta.name = `${meta.name}-${nodeName}`;
  pod.spec.nodeName = nodeName;
  meta.annotations = { ...(meta.annotations ?? {}), [CONFIG_HASH]: meta.uid, [CONFIG_SOURCE]: 'file' };
  const tolerations: Obj[] = (pod.spec.tolerations ??= []);
  if (!tolerations.some((t) => t.operator === 'Exists' && t.effect === 'NoExecute' && !t.key))
    tolerations.push({ operator: 'Exists', effect: 'NoExecute' });
  pod.status = { phase: 'Pending' };
  return pod;
}

/** Reads the dir: the pods it holds, and one line per file that could not be used. */
export async function readStaticPodDir(
  dir: string,
  nodeName: string,
): Promise<{ pods: Obj[]; errors: string[] }> {
  const errors: string[] = [];
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { pods: [], errors: [] };
    throw e;
  }
  const pods: Obj[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const st = await stat(file);
      if (st.isDirectory()) {
        errors.push(`not recursing into manifest path ${file}`);
        continue;
      }
      if (!st.isFile()) continue;
      const doc = parseYaml(await readFile(file, 'utf8')) as Obj;
      if (!doc || doc.kind !== 'Pod' || (doc.apiVersion && doc.apiVersion !== 'v1'))
        throw new Error(`couldn't parse as pod (kind ${doc?.kind ?? 'none'})`);
      if (!doc.metadata?.name) throw new Error('a static pod needs metadata.name');
      pods.push(applyFileDefaults(doc, file, nodeName));
    } catch (e) {
      errors.push(`can't process manifest file ${file}: ${(e as Error).message}`);
    }
  }
  return { pods, errors };
}

/** Watches the dir and calls onSet with the full set whenever it changes (and once at start). */
export class StaticPodSource {
  private watcher?: FSWatcher;
  private timer?: Timer;
  private last = '';
  private scanning?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly firstSeen = new Map<string, string>();

  constructor(
    private readonly dir: string,
    private readonly nodeName: string,
    private readonly clock: Clock,
    private readonly onSet: (pods: Obj[]) => void,
    private readonly onError: (line: string) => void = () => {},
  ) {}

  /** Reads the dir once (resolving when the first set is delivered), then keeps watching. */
  async start(): Promise<void> {
    try {
      this.watcher = watch(this.dir, () => void this.scan());
      this.watcher.on('error', () => undefined);
    } catch {
      // The dir may appear later; the periodic rescan finds it.
    }
    await this.scan();
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.timer?.cancel();
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = this.clock.after(FILE_CHECK_MS, () => {
      void this.scan();
      this.tick();
    });
  }

  /** Rescans now; concurrent calls collapse into one more scan. */
  scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.again = false;
        const { pods, errors } = await readStaticPodDir(this.dir, this.nodeName).catch((e: Error) => ({
          pods: [] as Obj[],
          errors: [e.message],
        }));
        for (const e of errors) this.onError(e);
        if (this.stopped) return;
        // config.seen: the first time this pod (UID) was seen; it is not part of the hash.
        for (const p of pods) {
          const uid = p.metadata.uid as string;
          if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, rfc3339Nano(this.clock.now()));
          p.metadata.annotations[CONFIG_SEEN] = this.firstSeen.get(uid);
        }
        const sig = pods.map((p) => p.metadata.uid).join(',');
        if (sig !== this.last || this.last === '') {
          this.last = sig || ' ';
          this.onSet(pods);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.scanning = undefined));
    return this.scanning;
  }
}

/** A mirror pod: the API's copy of a static pod. */
export function isMirrorPod(pod: Obj): boolean {
  return !!pod.metadata?.annotations?.[CONFIG_MIRROR];
}

export function isStaticPod(pod: Obj): boolean {
  return pod.metadata?.annotations?.[CONFIG_SOURCE] === 'file';
}
