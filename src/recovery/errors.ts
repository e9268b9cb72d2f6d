/**
 * What `bootkube recover` reports. A bad source (unreachable, wrong CA, not a snapshot, no control
 * plane, a cluster bootkube did not make, a value it cannot read) is the operator's input: exit 2,
 * one line, and no recovery dir is left behind.
 */
import { InputError, RuntimeError } from '../errors.js';

/** The flags name no source, two sources, or a source's flags that do not fit together. */
export class RecoveryFlagsError extends InputError {
  readonly code = 'RECOVERY_FLAGS_INVALID';
}

/** The source did not answer: etcd or an apiserver unreachable, refused our TLS, or a file unreadable. */
export class RecoverySourceUnreachableError extends InputError {
  readonly code = 'RECOVERY_SOURCE_UNREACHABLE';
}

/** --etcd-backup-file is not an etcd v3 snapshot (or a damaged one). */
export class RecoveryBackupError extends InputError {
  readonly code = 'RECOVERY_BACKUP_INVALID';
}

/** The source holds no Kubernetes data where we looked (an empty etcd, a wrong --etcd-prefix, empty checkpoint dirs). */
export class RecoveryNoControlPlaneError extends InputError {
  readonly code = 'RECOVERY_NO_CONTROL_PLANE';
}

/** The source holds a cluster, but not a self-hosted control plane as bootkube renders it. */
export class RecoveryNotBootkubeError extends InputError {
  readonly code = 'RECOVERY_NOT_BOOTKUBE';
}

/** A value the recovery needs is protobuf, encrypted or not JSON: the message names the key. */
export class RecoveryUnreadableValueError extends InputError {
  readonly code = 'RECOVERY_UNREADABLE_VALUE';
}

/** The control plane refers to something the source does not hold, or uses a form start cannot run. */
export class RecoveryIncompleteError extends InputError {
  readonly code = 'RECOVERY_INCOMPLETE';
}

/** No admin or kubelet credentials can be had from the source or the flags. */
export class RecoveryCredentialsError extends InputError {
  readonly code = 'RECOVERY_CREDENTIALS_MISSING';
}

/** A tool the recovery runs (etcdctl) is missing or failed for a reason that is not the input's. */
export class RecoveryToolError extends RuntimeError {
  readonly code = 'RECOVERY_TOOL_FAILED';
}
