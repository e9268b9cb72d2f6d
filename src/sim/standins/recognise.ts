/**
 * Which control-plane component a container runs, from its command line or its image, and the
 * command line split into its parts: the lockexec wrapper (DESIGN §3), the binary, its flags.
 */
import type { V1Container } from '@kubernetes/client-node';

export const COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface RecognisedCommand {
  component: Component;
  /** `lockexec LOCKFILE …` in front of the binary: the wrapper's path and the lock file, as the container sees them. */
  lockexec?: { path: string; lockFile: string };
  /** The arguments after the binary (its flags). */
  flags: string[];
}

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

function componentNamed(word: string | undefined): Component | undefined {
  if (!word) return undefined;
  const name = basename(word);
  return (COMPONENTS as readonly string[]).includes(name) ? (name as Component) : undefined;
}

/** The component an image reference names: `registry.k8s.io/kube-apiserver:v1.32.4`, `…/kube-scheduler-amd64@sha256:…`. */
export function componentOfImage(image: string | undefined): Component | undefined {
  if (!image) return undefined;
  const noDigest = image.split('@')[0]!;
  const last = basename(noDigest);
  const repo = last.includes(':') ? last.slice(0, last.indexOf(':')) : last;
  return COMPONENTS.find((c) => repo === c || repo.startsWith(`${c}-`));
}

/** The component the container runs and its flags, or undefined when it is none of the three. */
export function recognise(container: V1Container): RecognisedCommand | undefined {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  let lockexec: RecognisedCommand['lockexec'];
  let rest = argv;
  if (basename(argv[0] ?? '') === 'lockexec' && argv.length >= 3) {
    lockexec = { path: argv[0]!, lockFile: argv[1]! };
    rest = argv.slice(2);
  }
  // The binary named on the command line; hyperkube-style images name it as the first argument.
  let component = componentNamed(rest[0]);
  if (component) return { component, lockexec, flags: rest.slice(1) };
  if (basename(rest[0] ?? '') === 'hyperkube' && (component = componentNamed(rest[1]))) {
    return { component, lockexec, flags: rest.slice(2) };
  }
  // Only the image names it: the image's entrypoint is the binary, so the container's words are its flags.
  component = componentOfImage(container.image);
  if (component && (rest.length === 0 || rest[0]!.startsWith('-')))
    return { component, lockexec, flags: rest };
  return undefined;
}
