// The CNI layer's public surface (the daemon and the VMI networking import from here).
export type { CniAttachment, CniAttachmentResult, CniManager, CniPod, CniResult } from './types.ts';
export { createCniManager, DEFAULT_NETWORK_NAME, DEFAULT_PLUGIN_DIRS, type CniManagerOptions } from './manager.ts';
export { defaultPodNetwork, DEFAULT_POD_BRIDGE, DEFAULT_POD_SUBNET } from './default-network.ts';
export { networkStatusAnnotation, type NetworkStatus } from './result.ts';
export { execPlugin, execPluginInNetns, type PluginInvocation, type PluginOutput, type PluginRunner } from './exec.ts';
export { nodeHost, nodeHostIn, type CniHost } from './node-bridges.ts';
export * from './errors.ts';
