/**
 * The hand-written CRI wire codec checked against protobufjs on the runtime.v1 definitions: what
 * we send decodes to the request we mean, and what a runtime sends (with fields we do not read,
 * and enums, maps and nested messages) decodes to what we expect. A truncated answer is an error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import {
  decodeListContainersResponse,
  decodeListPodSandboxResponse,
  decodeVersionResponse,
  encodeListRunningContainersRequest,
  encodeVersionRequest,
  WireError,
} from '../../src/checkpointer/sources/cri-wire.js';

// runtime/v1 api.proto, the messages we use, with some fields we do not read.
const PROTO = `
syntax = "proto3";
package runtime.v1;
message VersionRequest { string version = 1; }
message VersionResponse { string version = 1; string runtime_name = 2; string runtime_version = 3; string runtime_api_version = 4; }
enum PodSandboxState { SANDBOX_READY = 0; SANDBOX_NOTREADY = 1; }
message PodSandboxMetadata { string name = 1; string uid = 2; string namespace = 3; uint32 attempt = 4; }
message PodSandbox {
  string id = 1; PodSandboxMetadata metadata = 2; PodSandboxState state = 3; int64 created_at = 4;
  map<string, string> labels = 5; map<string, string> annotations = 6; string runtime_handler = 7;
}
message ListPodSandboxResponse { repeated PodSandbox items = 1; }
enum ContainerState { CONTAINER_CREATED = 0; CONTAINER_RUNNING = 1; CONTAINER_EXITED = 2; CONTAINER_UNKNOWN = 3; }
message ContainerStateValue { ContainerState state = 1; }
message ContainerFilter { string id = 1; ContainerStateValue state = 2; string pod_sandbox_id = 3; map<string, string> label_selector = 4; }
message ListContainersRequest { ContainerFilter filter = 1; }
message ContainerMetadata { string name = 1; uint32 attempt = 2; }
message ImageSpec { string image = 1; }
message Container {
  string id = 1; string pod_sandbox_id = 2; ContainerMetadata metadata = 3; ImageSpec image = 4;
  string image_ref = 5; ContainerState state = 6; int64 created_at = 7;
  map<string, string> labels = 8; map<string, string> annotations = 9;
}
message ListContainersResponse { repeated Container containers = 1; }
`;
const root = protobuf.parse(PROTO, { keepCase: true }).root;
const type = (name: string) => root.lookupType(`runtime.v1.${name}`);
const encode = (name: string, value: object) => type(name).encode(type(name).fromObject(value)).finish();
const decode = (name: string, bytes: Uint8Array) =>
  type(name).toObject(type(name).decode(bytes), { enums: String, defaults: false });

describe('CRI wire codec', () => {
  it('encodes the requests as protobuf reads them', () => {
    assert.deepEqual(decode('VersionRequest', encodeVersionRequest('v1')), { version: 'v1' });
    assert.deepEqual(decode('ListContainersRequest', encodeListRunningContainersRequest()), {
      filter: { state: { state: 'CONTAINER_RUNNING' } },
    });
  });

  it('decodes answers, skipping the fields it does not read', () => {
    const version = encode('VersionResponse', {
      version: '0.1.0',
      runtime_name: 'containerd',
      runtime_version: '1.7.24',
      runtime_api_version: 'v1',
    });
    assert.deepEqual(decodeVersionResponse(version), {
      runtime_name: 'containerd',
      runtime_version: '1.7.24',
      runtime_api_version: 'v1',
    });

    const sandboxes = encode('ListPodSandboxResponse', {
      items: [
        {
          id: 's1',
          metadata: { name: 'kube-apiserver-x', uid: 'u1', namespace: 'kube-system', attempt: 3 },
          state: 'SANDBOX_NOTREADY',
          created_at: '1732280000000000000',
          labels: { 'io.kubernetes.pod.uid': 'u1', app: 'a' },
          annotations: { 'checkpointer.alpha.coreos.com/checkpoint': 'true' },
          runtime_handler: 'runc',
        },
        { id: 's2' },
      ],
    });
    assert.deepEqual(decodeListPodSandboxResponse(sandboxes), [
      {
        id: 's1',
        metadata: { name: 'kube-apiserver-x', uid: 'u1', namespace: 'kube-system' },
        state: 'SANDBOX_NOTREADY',
        labels: { 'io.kubernetes.pod.uid': 'u1', app: 'a' },
        annotations: { 'checkpointer.alpha.coreos.com/checkpoint': 'true' },
      },
      // proto3 leaves zero values out: state SANDBOX_READY.
      { id: 's2', state: 'SANDBOX_READY', labels: {}, annotations: {} },
    ]);

    const containers = encode('ListContainersResponse', {
      containers: [
        {
          id: 'c1',
          pod_sandbox_id: 's1',
          metadata: { name: 'kube-apiserver', attempt: 1 },
          image: { image: 'registry.k8s.io/kube-apiserver:v1.32.4' },
          image_ref: 'sha256:abc',
          state: 'CONTAINER_RUNNING',
          created_at: '-1',
          labels: { 'io.kubernetes.container.name': 'kube-apiserver' },
          annotations: { x: 'y' },
        },
      ],
    });
    assert.deepEqual(decodeListContainersResponse(containers), [
      {
        id: 'c1',
        pod_sandbox_id: 's1',
        metadata: { name: 'kube-apiserver' },
        state: 'CONTAINER_RUNNING',
        labels: { 'io.kubernetes.container.name': 'kube-apiserver' },
      },
    ]);
  });

  it('refuses a truncated answer', () => {
    const whole = encode('ListPodSandboxResponse', { items: [{ id: 'sandbox-with-a-long-id' }] });
    assert.throws(() => decodeListPodSandboxResponse(whole.subarray(0, whole.length - 3)), WireError);
  });
});
