/**
 * Controller expectations (k/k pkg/controller/controller_utils.go): after a controller asks for N
 * creations and for the deletion of certain pods, it does not act on that owner again until its
 * informer has seen them, or the expectations expire (5 min), so a sync that runs before the
 * watch catches up never creates or deletes the same pods twice. Deletions are tracked by pod key
 * (UIDTrackingControllerExpectations), so seeing a pod marked for deletion and then gone counts once.
 */
const EXPIRY_MS = 5 * 60_000;

interface Expectation {
  add: number;
  deletions: Set<string>;
  at: number;
}

export class Expectations {
  private readonly map = new Map<string, Expectation>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when nothing is outstanding for `key` (or what is has expired). */
  satisfied(key: string): boolean {
    const e = this.map.get(key);
    if (!e) return true;
    return (e.add <= 0 && e.deletions.size === 0) || this.now() - e.at > EXPIRY_MS;
  }

  /** Expects `add` creations and the deletion of the pods `deleteKeys` (namespace/name). */
  set(key: string, add: number, deleteKeys: readonly string[] = []): void {
    this.map.set(key, { add, deletions: new Set(deleteKeys), at: this.now() });
  }

  creationObserved(key: string): void {
    const e = this.map.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.map.get(key)?.deletions.delete(podKey);
  }

  /** Forgets creations that will never be observed (their requests failed or were skipped). */
  lowerCreations(key: string, n: number): void {
    const e = this.map.get(key);
    if (e) e.add -= n;
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}
