/**
 * The errors of src/certs. Bad input (exit 2): the asset dir, the names or flags given. Failures at
 * run time (exit 1): writing the renewed asset dir.
 */
import { InputError, RuntimeError } from '../errors.js';

/** The asset dir is missing, holds no certificates, or holds one that does not parse. */
export class CertsAssetDirError extends InputError {
  readonly code = 'CERTS_ASSET_DIR_INVALID';
}

/** The names, `--all` and `--renew-ca` given to `certs renew` do not make a request. */
export class CertsSelectionError extends InputError {
  readonly code = 'CERTS_BAD_SELECTION';
}

/** A CA named without `--renew-ca`: a CA is never renewed implicitly. */
export class CertsCaRefusedError extends InputError {
  readonly code = 'CERTS_CA_NEEDS_FLAG';
}

/** The CA that signed a certificate has no private key in the asset dir (BYO etcd, a CA brought without its key). */
export class CertsNoCaKeyError extends InputError {
  readonly code = 'CERTS_NO_CA_KEY';
}

/** The CA that would sign a renewal has itself expired. */
export class CertsCaExpiredError extends InputError {
  readonly code = 'CERTS_CA_EXPIRED';
}

/** A certificate whose subject, SANs, key or usages bootkube cannot reissue exactly as they are. */
export class CertsCannotKeepError extends InputError {
  readonly code = 'CERTS_CANNOT_KEEP';
}

/** Writing the renewed asset dir failed; the old one is still in place. */
export class CertsWriteError extends RuntimeError {
  readonly code = 'CERTS_WRITE_FAILED';
}

/** The asset dir given with --kubeconfig is not the cluster's (its CA is not the cluster's CA). */
export class CertsClusterMismatchError extends InputError {
  readonly code = 'CERTS_NOT_THIS_CLUSTER';
}
