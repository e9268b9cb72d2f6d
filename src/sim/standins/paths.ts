/** Files a stand-in's flags name, found where the node keeps them (the container's volume mounts). */
import type { ContainerContext } from '../runtime.js';
import { StandInConfigError } from './errors.js';

/**
 * The host path behind a path inside the container. A path on no volume would be in the
 * container image, which a simulated container does not have: that is an error naming the path.
 */
export function hostFile(ctx: ContainerContext, containerPath: string): string {
  const mapped = ctx.node.containerPath(ctx.pod, ctx.container, containerPath);
  if (mapped === undefined) {
    throw new StandInConfigError(
      `${containerPath} is on no volume of pod ${ctx.pod.metadata?.namespace}/${ctx.pod.metadata?.name}`,
      {
        hint: 'mount it from a hostPath (or a volume the simulated kubelet materialises)',
      },
    );
  }
  return mapped;
}

/** The hostname a pod's processes see: the node's under hostNetwork, else spec.hostname or the pod's name. */
export function podHostname(ctx: ContainerContext): string {
  if (ctx.pod.spec?.hostNetwork) return ctx.node.nodeName;
  return ctx.pod.spec?.hostname ?? ctx.pod.metadata?.name ?? ctx.node.nodeName;
}
