// Reading CNI results (0.1.0–1.0.0) for what one attachment gave the pod, and Multus's
// network-status annotation written from them.
import type { CniAttachment, CniAttachmentResult, CniResult } from './types.ts';
import { isObject } from '../../lib/is-object.ts';


/** Parses a plugin's stdout as a result; undefined when it is not a JSON object. */
export function parseCniResult(stdout: string): CniResult | undefined {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  return { ...value, cniVersion: typeof value.cniVersion === 'string' ? value.cniVersion : '' } as CniResult;
}

/** A plugin's error output (`{code, msg, details}`), when it printed one. */
export function parseCniError(stdout: string): { code?: number; msg?: string; details?: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const out: { code?: number; msg?: string; details?: string } = {};
  if (typeof value.code === 'number') out.code = value.code;
  if (typeof value.msg === 'string') out.msg = value.msg;
  if (typeof value.details === 'string' && value.details !== '') out.details = value.details;
  return out.code === undefined && out.msg === undefined ? undefined : out;
}

interface Ip {
  address: string;
  gateway?: string;
}

/** The addresses a result gives interface `ifname` in the sandbox (0.3.0+ `ips`, or 0.1/0.2 `ip4`/`ip6`). */
function podIps(result: CniResult, podIndex: number | undefined): Ip[] {
  const out: Ip[] = [];
  if (Array.isArray(result.ips)) {
    for (const ip of result.ips) {
      if (!isObject(ip) || typeof ip.address !== 'string') continue;
      // An ip without `interface` belongs to no particular interface: count it for the pod's.
      if (typeof ip.interface === 'number' && ip.interface !== podIndex) continue;
      out.push({ address: ip.address, ...(typeof ip.gateway === 'string' ? { gateway: ip.gateway } : {}) });
    }
    return out;
  }
  for (const key of ['ip4', 'ip6']) {
    const legacy = result[key];
    if (isObject(legacy) && typeof legacy.ip === 'string') out.push({ address: legacy.ip, ...(typeof legacy.gateway === 'string' ? { gateway: legacy.gateway } : {}) });
  }
  return out;
}

/**
 * What one attachment gave the pod: the sandbox interface named `ifname` (its MAC, after
 * tuning) and its addresses. Without such an interface in the result, the requested MAC.
 */
export function attachmentResult(attachment: CniAttachment, networkName: string, isDefault: boolean, result: CniResult): CniAttachmentResult {
  const interfaces = Array.isArray(result.interfaces) ? result.interfaces : [];
  let podIndex = interfaces.findIndex((i) => isObject(i) && i.name === attachment.ifname && typeof i.sandbox === 'string' && i.sandbox !== '');
  if (podIndex < 0) podIndex = interfaces.findIndex((i) => isObject(i) && i.name === attachment.ifname);
  const mac = (podIndex >= 0 ? interfaces[podIndex]?.mac : undefined) ?? attachment.mac ?? '';
  const ips = podIps(result, podIndex >= 0 ? podIndex : undefined);
  const gateway = ips.find((ip) => ip.gateway !== undefined)?.gateway;
  return {
    network: attachment.network,
    ifname: attachment.ifname,
    networkName,
    default: isDefault,
    mac: mac.toLowerCase(),
    ips: ips.map((ip) => ip.address),
    ...(gateway === undefined ? {} : { gateway }),
    result,
  };
}

/** One entry of `k8s.v1.cni.cncf.io/network-status` (NPWG spec; field rules as Multus's NetworkStatus). */
export interface NetworkStatus {
  name: string;
  interface: string;
  ips?: string[];
  mac: string;
  default?: true;
  dns: NonNullable<CniResult['dns']>;
  gateway?: string[];
}

/**
 * The `k8s.v1.cni.cncf.io/network-status` annotation value: a JSON list in attachment order;
 * `ips` are plain addresses and omitted when none, `default` appears (true) only on the
 * pod network, `dns` is always an object — as Multus writes it.
 */
export function networkStatusAnnotation(results: readonly CniAttachmentResult[]): string {
  const list: NetworkStatus[] = results.map((r) => ({
    name: r.networkName,
    interface: r.ifname,
    ...(r.ips.length > 0 ? { ips: r.ips.map((ip) => ip.split('/')[0] ?? ip) } : {}),
    mac: r.mac,
    ...(r.default ? { default: true as const } : {}),
    dns: isObject(r.result.dns) ? r.result.dns : {},
    ...(r.gateway === undefined ? {} : { gateway: [r.gateway] }),
  }));
  return JSON.stringify(list, null, 2);
}
