/**
 * A private containerd for the CRI tests: its root, state and sockets in a temp dir, a one-layer
 * image made here (a static `pause` and lockexec, built with gcc; nothing is pulled), and a small
 * CRI client that runs pod sandboxes and containers the way the kubelet does (labels
 * `io.kubernetes.pod.*`, pod labels and annotations on the sandbox, host network).
 */
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { criTarget } from '../../src/checkpointer/sources/cri.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
export const IMAGE = 'example.local/checkpointer-test:1';

/** Whether containerd, runc, ctr, gcc and tar are on this machine. */
export async function containerdAvailable(): Promise<string | undefined> {
  for (const tool of ['containerd', 'runc', 'ctr', 'gcc', 'tar']) {
    try {
      await run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed (apt-get install containerd runc gcc libc6-dev)`;
    }
  }
  if (process.getuid?.() !== 0) return 'containerd needs root';
  return undefined;
}

export class Containerd {
  private constructor(
    readonly dir: string,
    readonly socket: string,
    private readonly proc: ChildProcess,
  ) {}

  /** Starts containerd on sockets under `dir` and waits until it answers. */
  static async start(dir: string): Promise<Containerd> {
    const socket = join(dir, 'containerd.sock');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        '[grpc]',
        `  address = "${socket}"`,
        '[ttrpc]',
        `  address = "${socket}.ttrpc"`,
        '[plugins."io.containerd.grpc.v1.cri"]',
        `  sandbox_image = "${IMAGE}"`,
        // Lowering oom_score_adj needs CAP_SYS_RESOURCE, which a test machine (a container) may lack.
        '  restrict_oom_score_adj = true',
        '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
        '  runtime_type = "io.containerd.runc.v2"',
        '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
        `  Root = "${dir}/runc"`,
        '',
      ].join('\n'),
    );
    const log = await open(join(dir, 'containerd.log'), 'a');
    const proc = spawn('containerd', ['--config', join(dir, 'config.toml')], {
      stdio: ['ignore', 'ignore', log.fd],
    });
    await log.close();
    const ctd = new Containerd(dir, socket, proc);
    await waitFor(
      () =>
        stat(socket).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 20_000, what: `containerd to serve (see ${dir}/containerd.log)` },
    );
    return ctd;
  }

  /** Builds and imports the test image: /pause (sleeps until SIGTERM) and /lockexec. */
  async importImage(lockexec: string): Promise<void> {
    const build = join(this.dir, 'image');
    const rootfs = join(build, 'rootfs');
    const layout = join(build, 'oci');
    await mkdir(rootfs, { recursive: true });
    await mkdir(join(layout, 'blobs/sha256'), { recursive: true });
    await writeFile(
      join(build, 'pause.c'),
      '#include <unistd.h>\n#include <signal.h>\nstatic void bye(int s){(void)s;_exit(0);}\nint main(void){signal(SIGTERM,bye);for(;;)pause();}\n',
    );
    await run('gcc', ['-static', '-O2', '-o', join(rootfs, 'pause'), join(build, 'pause.c')]);
    await copyFile(lockexec, join(rootfs, 'lockexec'));
    await run('tar', ['-C', rootfs, '-cf', join(build, 'layer.tar'), 'pause', 'lockexec']);
    const blob = async (data: Buffer) => {
      const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
      await writeFile(join(layout, 'blobs/sha256', digest.slice(7)), data);
      return { digest, size: data.length };
    };
    const layer = await blob(await readFile(join(build, 'layer.tar')));
    const config = await blob(
      Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          config: { Entrypoint: ['/pause'] },
          rootfs: { type: 'layers', diff_ids: [layer.digest] },
        }),
      ),
    );
    const manifest = await blob(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
        }),
      ),
    );
    await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            ...manifest,
            annotations: { 'io.containerd.image.name': IMAGE },
          },
        ],
      }),
    );
    await run('tar', ['-C', layout, '-cf', join(build, 'image.tar'), '.']);
    await run('ctr', ['-a', this.socket, '-n', 'k8s.io', 'images', 'import', join(build, 'image.tar')]);
  }

  /** Stops containerd (by its PID) and removes its dir. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc.once('exit', resolve));
      this.proc.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

// The kubelet's side of the CRI, only what the tests need (field numbers of runtime/v1 api.proto).
const ADMIN_PROTO = `
syntax = "proto3";
package runtime.v1;
service RuntimeService {
  rpc RunPodSandbox(RunPodSandboxRequest) returns (RunPodSandboxResponse) {}
  rpc StopPodSandbox(PodSandboxIdRequest) returns (Empty) {}
  rpc RemovePodSandbox(PodSandboxIdRequest) returns (Empty) {}
  rpc CreateContainer(CreateContainerRequest) returns (CreateContainerResponse) {}
  rpc StartContainer(ContainerIdRequest) returns (Empty) {}
  rpc StopContainer(StopContainerRequest) returns (Empty) {}
}
message Empty {}
message PodSandboxMetadata { string name = 1; string uid = 2; string namespace = 3; uint32 attempt = 4; }
enum NamespaceMode { POD = 0; CONTAINER = 1; NODE = 2; TARGET = 3; }
message NamespaceOption { NamespaceMode network = 1; NamespaceMode pid = 2; NamespaceMode ipc = 3; }
message LinuxSandboxSecurityContext { NamespaceOption namespace_options = 1; }
message LinuxPodSandboxConfig { string cgroup_parent = 1; LinuxSandboxSecurityContext security_context = 2; }
message PodSandboxConfig {
  PodSandboxMetadata metadata = 1;
  string hostname = 2;
  string log_directory = 3;
  map<string, string> labels = 6;
  map<string, string> annotations = 7;
  LinuxPodSandboxConfig linux = 8;
}
message RunPodSandboxRequest { PodSandboxConfig config = 1; string runtime_handler = 2; }
message RunPodSandboxResponse { string pod_sandbox_id = 1; }
message PodSandboxIdRequest { string pod_sandbox_id = 1; }
message ContainerMetadata { string name = 1; uint32 attempt = 2; }
message ImageSpec { string image = 1; }
message Mount { string container_path = 1; string host_path = 2; bool readonly = 3; }
message ContainerConfig {
  ContainerMetadata metadata = 1;
  ImageSpec image = 2;
  repeated string command = 3;
  repeated string args = 4;
  repeated Mount mounts = 7;
  map<string, string> labels = 9;
  map<string, string> annotations = 10;
}
message CreateContainerRequest { string pod_sandbox_id = 1; ContainerConfig config = 2; PodSandboxConfig sandbox_config = 3; }
message CreateContainerResponse { string container_id = 1; }
message ContainerIdRequest { string container_id = 1; }
message StopContainerRequest { string container_id = 1; int64 timeout = 2; }
`;

export interface TestPod {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Runs sandboxes and containers as the kubelet would. */
export class CriAdmin {
  private readonly client: grpc.Client;
  constructor(socket: string) {
    const root = protobuf.parse(ADMIN_PROTO, { keepCase: true }).root;
    const pkg = grpc.loadPackageDefinition(
      fromJSON(root.toJSON(), { keepCase: true, enums: String, longs: String }),
    ) as unknown as {
      runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
    };
    this.client = new pkg.runtime.v1.RuntimeService(criTarget(socket), grpc.credentials.createInsecure());
  }

  private call<T>(method: string, req: object): Promise<T> {
    const fn = (
      this.client as unknown as Record<
        string,
        (r: object, o: grpc.CallOptions, cb: (e: Error | null, r: T) => void) => void
      >
    )[method]!;
    return new Promise((resolve, reject) =>
      fn.call(this.client, req, { deadline: Date.now() + 60_000 }, (e, r) => (e ? reject(e) : resolve(r))),
    );
  }

  private sandboxConfig(pod: TestPod) {
    return {
      metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid, attempt: 0 },
      labels: {
        ...pod.labels,
        'io.kubernetes.pod.name': pod.name,
        'io.kubernetes.pod.namespace': pod.namespace,
        'io.kubernetes.pod.uid': pod.uid,
      },
      annotations: pod.annotations ?? {},
      linux: { security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
    };
  }

  /** A sandbox and one started container running `command` from the test image. */
  async runPod(
    pod: TestPod,
    container: string,
    command: string[],
    mounts: Array<{ host: string; container: string }> = [],
  ) {
    const config = this.sandboxConfig(pod);
    const { pod_sandbox_id } = await this.call<{ pod_sandbox_id: string }>('RunPodSandbox', { config });
    const { container_id } = await this.call<{ container_id: string }>('CreateContainer', {
      pod_sandbox_id,
      sandbox_config: config,
      config: {
        metadata: { name: container, attempt: 0 },
        image: { image: IMAGE },
        command,
        mounts: mounts.map((m) => ({ host_path: m.host, container_path: m.container })),
        labels: {
          'io.kubernetes.container.name': container,
          'io.kubernetes.pod.name': pod.name,
          'io.kubernetes.pod.namespace': pod.namespace,
          'io.kubernetes.pod.uid': pod.uid,
        },
      },
    });
    await this.call('StartContainer', { container_id });
    return { sandboxId: pod_sandbox_id, containerId: container_id };
  }

  stopContainer(id: string) {
    return this.call('StopContainer', { container_id: id, timeout: 5 });
  }

  async removePod(sandboxId: string) {
    await this.call('StopPodSandbox', { pod_sandbox_id: sandboxId });
    await this.call('RemovePodSandbox', { pod_sandbox_id: sandboxId });
  }

  close() {
    this.client.close();
  }
}
