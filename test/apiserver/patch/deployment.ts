// The Deployment most strategic-patch tests start from, and helpers to state expected results.
import { applyPatch } from '../../../src/apiserver/patch/index.js';
import { deepFreeze, DEPLOYMENT } from './support.js';

export function deployment() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', finalizers: ['example.com/a', 'example.com/b'] },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'a',
              image: 'a:1',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [{ name: 'MODE', value: 'x' }],
              volumeMounts: [
                { name: 'cache', mountPath: '/cache' },
                { name: 'config', mountPath: '/etc/a' },
              ],
            },
            { name: 'c', image: 'sidecar:1' },
          ],
          volumes: [
            { name: 'cache', emptyDir: {} },
            { name: 'config', configMap: { name: 'a-config' } },
          ],
        },
      },
    },
  };
}
export type Deployment = ReturnType<typeof deployment>;

/** The fixture with `edit` applied to a fresh copy: the expected result. */
export function expectDeployment(edit: (d: Deployment) => void): Deployment {
  const d = deployment();
  edit(d);
  return d;
}

export const patchDeployment = (patch: unknown) =>
  applyPatch(deepFreeze(deployment()), deepFreeze(patch), 'strategic', DEPLOYMENT);
export const containers = (d: Deployment) => d.spec.template.spec.containers as Record<string, unknown>[];
