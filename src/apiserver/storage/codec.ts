/**
 * Values in etcd as kube-apiserver writes them with --storage-media-type=application/json: the
 * object's JSON with apiVersion and kind, and no resourceVersion (it is the key's mod revision;
 * apiserver@v0.32 storage/api_object_versioner.go clears it before writing and sets it on read).
 */
import { InvalidArgumentError, UnreadableValueError } from './errors.js';
import type { KubeObject } from './types.js';

// apimachinery runtime/serializer/protobuf: the 4-byte magic of kube's protobuf envelope.
const PROTOBUF_MAGIC = Buffer.from('k8s\0', 'latin1');
// apiserver storage/value/transformer: prefix of every value written by an encryption provider
// (`k8s:enc:<provider>:v1:<key name>:`).
const ENCRYPTED_PREFIX = Buffer.from('k8s:enc:', 'latin1');

const JSON_FIX =
  'run every kube-apiserver of this cluster with --storage-media-type=application/json (bootkube render sets it), then rewrite the object through it, e.g. `kubectl get <kind> <name> -o json | kubectl replace -f -`';

/** The bytes to store for object: JSON without metadata.resourceVersion. Throws INVALID_ARGUMENT without apiVersion/kind. */
export function encodeValue(key: string, object: KubeObject): Buffer {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new InvalidArgumentError(`${key}: a stored value must be a JSON object`);
  }
  // Go decodes the value with the universal deserializer, which needs both (reference §5.5).
  if (!nonEmptyString(object.apiVersion) || !nonEmptyString(object.kind)) {
    throw new InvalidArgumentError(
      `${key}: the object has no apiVersion or kind; kube-apiserver could not decode it`,
    );
  }
  let stored: KubeObject = object;
  if (object.metadata && 'resourceVersion' in object.metadata) {
    const { resourceVersion: _dropped, ...metadata } = object.metadata;
    stored = { ...object, metadata };
  }
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

/** The object stored in value, with metadata.resourceVersion set to revision; UNREADABLE_VALUE if it is not ours to read. */
export function decodeValue(key: string, value: Buffer, revision: string): KubeObject {
  const object = parse(key, value);
  const metadata = typeof object.metadata === 'object' && object.metadata !== null ? object.metadata : {};
  return { ...object, metadata: { ...metadata, resourceVersion: revision } };
}

function parse(key: string, value: Buffer): KubeObject {
  if (startsWith(value, PROTOBUF_MAGIC)) {
    throw new UnreadableValueError(
      key,
      'protobuf',
      "the value is kube-apiserver's protobuf encoding (starts with k8s\\0), not JSON",
      {
        hint: JSON_FIX,
      },
    );
  }
  if (startsWith(value, ENCRYPTED_PREFIX)) {
    const provider = value
      .subarray(ENCRYPTED_PREFIX.length, ENCRYPTED_PREFIX.length + 64)
      .toString('latin1')
      .split(':');
    const name = provider[0] && /^[a-z0-9]+$/.test(provider[0]) ? `${provider[0]} ` : '';
    const keyName = provider[2] && /^[\w.-]+$/.test(provider[2]) ? ` with key "${provider[2]}"` : '';
    throw new UnreadableValueError(
      key,
      'encrypted',
      `the value is encrypted at rest (${name}provider${keyName}, starts with k8s:enc:)`,
      {
        hint: "bootkube cannot read encrypted values: take this resource out of kube-apiserver's --encryption-provider-config (identity first), then rewrite its objects, e.g. `kubectl get <kind> -A -o json | kubectl replace -f -`",
      },
    );
  }
  let parsed: unknown;
  try {
    // kube's JSON recogniser looks at the first non-space byte; JSON.parse is stricter and enough.
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new UnreadableValueError(key, 'not-json', `the value is not JSON (${describeBytes(value)})`, {
      hint: 'it was not written by kube-apiserver or bootkube; inspect it with `etcdctl get --print-value-only`',
      cause: err,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UnreadableValueError(key, 'not-json', 'the value is JSON but not an object', {
      hint: 'it was not written by kube-apiserver or bootkube',
    });
  }
  const object = parsed as KubeObject;
  if (!nonEmptyString(object.apiVersion) || !nonEmptyString(object.kind)) {
    throw new UnreadableValueError(key, 'no-kind', 'the value is a JSON object without apiVersion or kind', {
      hint: 'kube-apiserver cannot decode it either; rewrite the object with apiVersion and kind set',
    });
  }
  return object;
}

function startsWith(value: Buffer, prefix: Buffer): boolean {
  return value.length >= prefix.length && value.subarray(0, prefix.length).equals(prefix);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function describeBytes(value: Buffer): string {
  const head = value.subarray(0, 16);
  const printable = /^[\x20-\x7e]*$/.test(head.toString('latin1'));
  return `${value.length} bytes, starting ${printable ? JSON.stringify(head.toString('latin1')) : `0x${head.toString('hex')}`}`;
}
