/**
 * The few CRI runtime.v1 messages the checkpointer exchanges (Version, ListPodSandbox,
 * ListContainers), in protobuf's wire format, by hand: field numbers and enum values are those
 * of k8s.io/cri-api runtime/v1 api.proto. A full protobuf and gRPC stack costs the daemon ~20 MiB
 * of resident memory for three calls (DESIGN.md §9 allows it 60 MiB in all). Fields not listed
 * here are skipped, as protobuf requires, so answers from any runtime decode.
 */

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

export class WireError extends Error {}

/** Yields (field number, wire type, value) of one message; LEN values are subarrays, varints bigint. */
function* fields(buf: Uint8Array): Generator<[number, number, Uint8Array | bigint]> {
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= buf.length || shift > 63n) throw new WireError('truncated or overlong varint');
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const type = key & 7;
    if (type === VARINT) yield [field, type, varint()];
    else if (type === LEN) {
      const n = Number(varint());
      if (i + n > buf.length) throw new WireError('truncated field');
      yield [field, type, buf.subarray(i, i + n)];
      i += n;
    } else if (type === FIXED64) i += 8;
    else if (type === FIXED32) i += 4;
    else throw new WireError(`unsupported wire type ${type}`);
    if (i > buf.length) throw new WireError('truncated field');
  }
}

const text = new TextDecoder('utf-8', { fatal: false });
const str = (v: Uint8Array | bigint): string => (typeof v === 'bigint' ? '' : text.decode(v));
const num = (v: Uint8Array | bigint): number => (typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : 0);
const bytes = (v: Uint8Array | bigint): Uint8Array => (typeof v === 'bigint' ? new Uint8Array() : v);

function mapEntry(buf: Uint8Array, into: Record<string, string>): void {
  let k = '';
  let v = '';
  for (const [f, , val] of fields(buf)) {
    if (f === 1) k = str(val);
    else if (f === 2) v = str(val);
  }
  into[k] = v;
}

// --- Encoding (only what the requests need: strings and nested messages) ---

function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function lenField(field: number, body: Uint8Array): Uint8Array {
  return Uint8Array.from([...varintBytes((field << 3) | LEN), ...varintBytes(body.length), ...body]);
}

function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varintBytes((field << 3) | VARINT), ...varintBytes(value)]);
}

/** VersionRequest { string version = 1 } */
export function encodeVersionRequest(version: string): Uint8Array {
  return lenField(1, new TextEncoder().encode(version));
}

/** ListPodSandboxRequest {}: every sandbox, whatever its state. */
export function encodeListPodSandboxRequest(): Uint8Array {
  return new Uint8Array();
}

/** ListContainersRequest { ContainerFilter filter = 1 { ContainerStateValue state = 2 { state = 1 } } } */
export function encodeListRunningContainersRequest(): Uint8Array {
  const CONTAINER_RUNNING = 1;
  return lenField(1, lenField(2, varintField(1, CONTAINER_RUNNING)));
}

// --- Decoding ---

export interface RuntimeVersion {
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
}

export interface Sandbox {
  id: string;
  metadata?: { name?: string; uid?: string; namespace?: string };
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY' | 'UNKNOWN';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Container {
  id: string;
  pod_sandbox_id: string;
  metadata?: { name?: string };
  state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
  labels: Record<string, string>;
}

/** VersionResponse { version = 1; runtime_name = 2; runtime_version = 3; runtime_api_version = 4 } */
export function decodeVersionResponse(buf: Uint8Array): RuntimeVersion {
  const r: RuntimeVersion = { runtime_name: '', runtime_version: '', runtime_api_version: '' };
  for (const [f, , v] of fields(buf)) {
    if (f === 2) r.runtime_name = str(v);
    else if (f === 3) r.runtime_version = str(v);
    else if (f === 4) r.runtime_api_version = str(v);
  }
  return r;
}

const SANDBOX_STATES = ['SANDBOX_READY', 'SANDBOX_NOTREADY'] as const;
const CONTAINER_STATES = [
  'CONTAINER_CREATED',
  'CONTAINER_RUNNING',
  'CONTAINER_EXITED',
  'CONTAINER_UNKNOWN',
] as const;

/** PodSandbox { id = 1; metadata = 2 { name = 1; uid = 2; namespace = 3 }; state = 3; labels = 5; annotations = 6 } */
function decodeSandbox(buf: Uint8Array): Sandbox {
  // proto3: an absent enum is its zero value.
  const s: Sandbox = { id: '', state: 'SANDBOX_READY', labels: {}, annotations: {} };
  for (const [f, , v] of fields(buf)) {
    if (f === 1) s.id = str(v);
    else if (f === 2) {
      const m: NonNullable<Sandbox['metadata']> = {};
      for (const [mf, , mv] of fields(bytes(v))) {
        if (mf === 1) m.name = str(mv);
        else if (mf === 2) m.uid = str(mv);
        else if (mf === 3) m.namespace = str(mv);
      }
      s.metadata = m;
    } else if (f === 3) s.state = SANDBOX_STATES[num(v)] ?? 'UNKNOWN';
    else if (f === 5) mapEntry(bytes(v), s.labels);
    else if (f === 6) mapEntry(bytes(v), s.annotations);
  }
  return s;
}

/** ListPodSandboxResponse { repeated PodSandbox items = 1 } */
export function decodeListPodSandboxResponse(buf: Uint8Array): Sandbox[] {
  const items: Sandbox[] = [];
  for (const [f, , v] of fields(buf)) if (f === 1) items.push(decodeSandbox(bytes(v)));
  return items;
}

/** Container { id = 1; pod_sandbox_id = 2; metadata = 3 { name = 1 }; state = 6; labels = 8 } */
function decodeContainer(buf: Uint8Array): Container {
  const c: Container = { id: '', pod_sandbox_id: '', state: 'CONTAINER_CREATED', labels: {} };
  for (const [f, , v] of fields(buf)) {
    if (f === 1) c.id = str(v);
    else if (f === 2) c.pod_sandbox_id = str(v);
    else if (f === 3) {
      const m: NonNullable<Container['metadata']> = {};
      for (const [mf, , mv] of fields(bytes(v))) if (mf === 1) m.name = str(mv);
      c.metadata = m;
    } else if (f === 6) c.state = CONTAINER_STATES[num(v)] ?? 'CONTAINER_UNKNOWN';
    else if (f === 8) mapEntry(bytes(v), c.labels);
  }
  return c;
}

/** ListContainersResponse { repeated Container containers = 1 } */
export function decodeListContainersResponse(buf: Uint8Array): Container[] {
  const items: Container[] = [];
  for (const [f, , v] of fields(buf)) if (f === 1) items.push(decodeContainer(bytes(v)));
  return items;
}
