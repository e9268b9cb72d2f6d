/** The simulated kubelet (DESIGN.md §5): one Kubelet per simulated node, all on one event loop. */
export { Kubelet, type KubeletEvent, type KubeletOptions } from './kubelet.js';
export { ContainerRuntime, normalizeImage, PAUSE_IMAGE } from './container-runtime.js';
export { RealClock, FakeClock, type Clock } from './clock.js';
export { loadKubeconfig, nodeNameOf, type KubeletCredentials } from './kubeconfig.js';
export { SIM, SIM_ANNOTATION_PREFIX } from './annotations.js';
export { USER_AGENT, type RequestRecord } from './api-client.js';
export * from './errors.js';
