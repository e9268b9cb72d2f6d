/**
 * Owner references as controller_ref_manager.go keeps them: an object belongs to the controller
 * its controller reference names (by UID); a controller adopts orphans its selector matches (after
 * checking afresh that it is not being deleted) and releases what it owns but no longer matches.
 * Both are strategic merge patches with the object's UID as a precondition, so a recreated object
 * of the same name is never touched.
 */
import { matchesLabels, type LabelSelector } from '../../../apiserver/selectors/index.js';
import { STRATEGIC_MERGE_PATCH, type KObj, type KubeClient } from '../client/client.js';
import { isApiStatus } from '../errors.js';
import { controllerOf, controllerRef } from './pods.js';

export interface ClaimOptions {
  client: KubeClient;
  owner: KObj;
  ownerApiVersion: string;
  ownerKind: string;
  selector: LabelSelector;
  /** The API path of an owned object (for the patches). */
  pathOf(obj: KObj): string;
  /** A fresh read of the owner: adoption only while it exists with the same UID and is not being deleted. */
  recheckOwner(): Promise<KObj | undefined>;
  /** Extra condition for adopting an orphan besides the selector (e.g. the pod is active). */
  canAdoptObject?(obj: KObj): boolean;
  signal?: AbortSignal;
}

/** What the decision is for one object, without doing it (pure, for tests and for claim()). */
export function claimDecision(
  obj: KObj,
  owner: KObj,
  selector: LabelSelector,
): 'owned' | 'release' | 'adopt' | 'ignore' {
  const ref = controllerOf(obj);
  const matches = matchesLabels(selector, obj.metadata?.labels);
  const ownerDeleting = Boolean(owner.metadata?.deletionTimestamp);
  if (ref) {
    if (ref.uid !== owner.metadata?.uid) return 'ignore';
    if (matches) return 'owned';
    return ownerDeleting ? 'ignore' : 'release';
  }
  if (ownerDeleting || !matches || obj.metadata?.deletionTimestamp) return 'ignore';
  return 'adopt';
}

/** The objects `owner` controls after adopting and releasing as needed; failed patches are reported after the rest. */
export async function claim(objects: KObj[], opts: ClaimOptions): Promise<KObj[]> {
  const claimed: KObj[] = [];
  const errors: Error[] = [];
  let ownerFresh: Promise<boolean> | undefined;
  const canAdopt = (): Promise<boolean> =>
    (ownerFresh ??= opts
      .recheckOwner()
      .then(
        (fresh) =>
          !!fresh && fresh.metadata?.uid === opts.owner.metadata.uid && !fresh.metadata?.deletionTimestamp,
      ));
  for (const obj of objects) {
    const decision = claimDecision(obj, opts.owner, opts.selector);
    try {
      if (decision === 'owned') claimed.push(obj);
      else if (decision === 'release')
        await patchRefs(opts, obj, [{ $patch: 'delete', uid: opts.owner.metadata.uid }]);
      else if (decision === 'adopt' && (opts.canAdoptObject?.(obj) ?? true) && (await canAdopt())) {
        const ref = controllerRef(opts.owner, opts.ownerApiVersion, opts.ownerKind);
        const adopted = await patchRefs(opts, obj, [ref]);
        if (adopted) claimed.push(adopted);
      }
    } catch (err) {
      errors.push(err as Error);
    }
  }
  if (errors.length) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
  return claimed;
}

async function patchRefs(opts: ClaimOptions, obj: KObj, refs: KObj[]): Promise<KObj | undefined> {
  const body = { metadata: { ownerReferences: refs, uid: obj.metadata.uid } };
  try {
    return await opts.client.patch(opts.pathOf(obj), body, STRATEGIC_MERGE_PATCH, opts.signal);
  } catch (err) {
    // Gone already, or replaced by a new object of the same name (the UID precondition): nothing to claim.
    if (isApiStatus(err, 404, 409, 422)) return undefined;
    throw err;
  }
}
