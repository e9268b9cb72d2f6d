/**
 * The Deployment controller's writes to its ReplicaSets and its own status (k/k
 * pkg/controller/deployment sync.go): finding or creating the new ReplicaSet with its
 * pod-template-hash and revision annotations, hash collisions, scaling with the desired/max-replicas
 * annotations and the ScalingReplicaSet events, history cleanup, and status writes.
 */
import type { KObj } from '../client/client.js';
import { isApiStatus } from '../errors.js';
import { objectPath, omitZero, writeStatus, type ControllerContext } from './context.js';
import * as logic from './deployment-logic.js';
import { computeHash, controllerOf, controllerRef } from './pods.js';

const COMPONENT = 'deployment-controller';
const rsPath = (ns: string, name?: string): string => objectPath('apps/v1', 'replicasets', ns, name);
const dPath = (d: KObj): string =>
  objectPath('apps/v1', 'deployments', d.metadata.namespace, d.metadata.name);
const seconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class DeploymentReplicaSets {
  constructor(private readonly ctx: ControllerContext) {}

  /** getAllReplicaSetsAndSyncRevision: the new set (created when asked and missing) with its revision kept current. */
  async newAndOld(d: KObj, rsList: KObj[], create: boolean): Promise<{ newRS?: KObj; old: KObj[] }> {
    const { newRS, old } = logic.splitReplicaSets(d, rsList);
    const newRevision = Math.max(0, ...old.map(logic.revisionOf)) + 1;
    const hasDeadline =
      d.spec?.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== 2147483647;
    const now = seconds(this.ctx.now());
    if (newRS) {
      const copy = structuredClone(newRS);
      const annotated = logic.setNewRSAnnotations(d, copy, newRevision, true);
      if (annotated || (copy.spec.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0)) {
        copy.spec.minReadySeconds = d.spec?.minReadySeconds ?? 0;
        return {
          newRS: await this.ctx.client.update(
            rsPath(copy.metadata.namespace, copy.metadata.name),
            copy,
            this.ctx.signal,
          ),
          old,
        };
      }
      let needsUpdate = this.setRevision(d, copy.metadata.annotations?.[logic.REVISION]);
      if (hasDeadline && !(d.status?.conditions ?? []).some((c: KObj) => c.type === 'Progressing')) {
        d.status = { ...d.status };
        logic.setCondition(
          d.status,
          logic.condition(
            'Progressing',
            'True',
            'FoundNewReplicaSet',
            `Found new replica set "${copy.metadata.name}"`,
            now,
          ),
        );
        needsUpdate = true;
      }
      if (needsUpdate) await this.writeStatus(d, d.status);
      return { newRS: copy, old };
    }
    if (!create) return { old };
    const hash = computeHash(d.spec.template, d.status?.collisionCount);
    const labels = { ...d.spec.template.metadata?.labels, [logic.POD_TEMPLATE_HASH]: hash };
    const selector = {
      ...d.spec.selector,
      matchLabels: { ...d.spec.selector.matchLabels, [logic.POD_TEMPLATE_HASH]: hash },
    };
    const rs: KObj = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels,
        ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: {
        replicas: 0,
        minReadySeconds: d.spec?.minReadySeconds ?? 0,
        selector,
        template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, labels } },
      },
    };
    rs.spec.replicas = logic.newRSNewReplicas(d, [...old, rs], rs);
    logic.setNewRSAnnotations(d, rs, newRevision, false);
    const recorder = this.ctx.recorder(COMPONENT);
    let created: KObj;
    let existed = false;
    try {
      created = await this.ctx.client.create(rsPath(d.metadata.namespace), rs, this.ctx.signal);
    } catch (err) {
      if (!isApiStatus(err, 409)) {
        const msg = `Failed to create new replica set "${rs.metadata.name}": ${(err as Error).message}`;
        recorder.event(d, 'Warning', 'ReplicaSetCreateError', msg);
        if (hasDeadline) {
          d.status = { ...d.status };
          logic.setCondition(
            d.status,
            logic.condition('Progressing', 'False', 'ReplicaSetCreateError', msg, now),
          );
          await this.writeStatus(d, d.status);
        }
        throw err;
      }
      const existing = await this.ctx.client.get(
        rsPath(d.metadata.namespace, rs.metadata.name),
        this.ctx.signal,
      );
      if (
        controllerOf(existing)?.uid !== d.metadata.uid ||
        !logic.equalIgnoreHash(existing.spec?.template, d.spec.template)
      ) {
        // Another template hashed to this name: count the collision so the next sync hashes differently.
        await this.writeStatus(d, { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 });
        throw err;
      }
      created = existing;
      existed = true;
    }
    if (!existed && logic.replicasOf(created) > 0) {
      recorder.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${logic.replicasOf(created)}`,
      );
    }
    let needsUpdate = this.setRevision(d, String(newRevision));
    if (!existed && hasDeadline) {
      d.status = { ...d.status };
      logic.setCondition(
        d.status,
        logic.condition(
          'Progressing',
          'True',
          'NewReplicaSetCreated',
          `Created new replica set "${created.metadata.name}"`,
          now,
        ),
      );
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus(d, d.status);
    return { newRS: created, old };
  }

  /** SetDeploymentRevision: the Deployment carries the revision of its new set (written with the next status). */
  private setRevision(d: KObj, revision: string | undefined): boolean {
    if (revision === undefined || d.metadata.annotations?.[logic.REVISION] === revision) return false;
    d.metadata.annotations = { ...d.metadata.annotations, [logic.REVISION]: revision };
    return true;
  }

  async writeStatus(d: KObj, status: KObj): Promise<void> {
    const counts = [
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
    ];
    const written = await writeStatus(
      this.ctx.client,
      dPath(d),
      d,
      omitZero(status, counts),
      this.ctx.signal,
    );
    d.metadata.resourceVersion = written.metadata?.resourceVersion;
    d.status = written.status;
  }

  /** scaleReplicaSetAndRecordEvent: new size and the desired/max-replicas annotations; true when the size changed. */
  async scale(rs: KObj, size: number, d: KObj): Promise<KObj> {
    const desired = String(logic.replicasOf(d));
    const max = String(logic.replicasOf(d) + logic.maxSurge(d));
    const ann = rs.metadata?.annotations ?? {};
    const old = logic.replicasOf(rs);
    if (old === size && ann[logic.DESIRED_REPLICAS] === desired && ann[logic.MAX_REPLICAS] === max) return rs;
    const body = {
      ...rs,
      metadata: {
        ...rs.metadata,
        annotations: { ...ann, [logic.DESIRED_REPLICAS]: desired, [logic.MAX_REPLICAS]: max },
      },
      spec: { ...rs.spec, replicas: size },
    };
    const updated = await this.ctx.client.update(
      rsPath(rs.metadata.namespace, rs.metadata.name),
      body,
      this.ctx.signal,
    );
    if (old !== size) {
      const op = size > old ? 'up' : 'down';
      this.ctx
        .recorder(COMPONENT)
        .event(
          d,
          'Normal',
          'ScalingReplicaSet',
          `Scaled ${op} replica set ${rs.metadata.name} from ${old} to ${size}`,
        );
    }
    return updated;
  }

  /** Deletes old, empty sets beyond revisionHistoryLimit (default 10), lowest revision first. */
  async cleanup(d: KObj, old: KObj[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined) return;
    const cleanable = old
      .filter((rs) => !rs.metadata.deletionTimestamp)
      .sort((a, b) => logic.revisionOf(a) - logic.revisionOf(b));
    for (const rs of cleanable.slice(0, Math.max(0, cleanable.length - limit))) {
      if (
        (rs.status?.replicas ?? 0) !== 0 ||
        logic.replicasOf(rs) !== 0 ||
        (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)
      )
        continue;
      await this.ctx.client
        .delete(rsPath(rs.metadata.namespace, rs.metadata.name), undefined, this.ctx.signal)
        .catch((err) => {
          if (!isApiStatus(err, 404)) throw err;
        });
    }
  }
}
