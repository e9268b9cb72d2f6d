/**
 * A storage lent to a server that does not own it: every call goes to the owner's storage, and
 * close() gives it back without closing it. The rehearsal's memory back end is one store that the
 * shim and each stand-in apiserver use in turn, as they would share one etcd; a server's own
 * watches end with the server (their signal), not with the store.
 */
import { UnavailableError } from './errors.js';
import type { Storage } from './types.js';

export function borrowedStorage(owner: Storage): Storage {
  let returned = false;
  const live = (): Storage => {
    if (returned) throw new UnavailableError([], 'this server has closed its storage');
    return owner;
  };
  return {
    get: (key) => live().get(key),
    list: (prefix, opts) => live().list(prefix, opts),
    create: (key, object, opts) => live().create(key, object, opts),
    update: (key, object, opts) => live().update(key, object, opts),
    delete: (key, opts) => live().delete(key, opts),
    watch: (key, opts) => live().watch(key, opts),
    currentRevision: () => live().currentRevision(),
    compact: (revision) => live().compact(revision),
    close: async () => {
      returned = true;
    },
  };
}
