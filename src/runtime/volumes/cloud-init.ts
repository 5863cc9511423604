// cloudInitNoCloud volumes: the NoCloud files (user-data, meta-data, network-config)
// rendered from the volume source, and the ISO 9660 image labelled `cidata` that
// cloud-init looks for, built with xorriso.
import type { CloudInitSource } from '../../resources/device-plan.ts';
import { buildIso } from './iso.ts';

/** The volume source as planned (volumes[].cloudInitNoCloud, typed by its schema). */
export type CloudInitNoCloudSource = CloudInitSource;

export interface NoCloudFiles {
  userData: string;
  metaData: string;
  networkData?: string;
}

/** Raised for a cloud-init source pxevirt cannot render (secret references, bad base64). */
export class CloudInitSourceError extends Error {
  constructor(
    readonly volume: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`volume ${volume}: cloudInitNoCloud.${field}: ${reason}`);
    this.name = 'CloudInitSourceError';
  }
}

/** The NoCloud volume label cloud-init searches for. */
export const CIDATA_LABEL = 'cidata';

/** meta-data as KubeVirt writes it: JSON with instance-id and local-hostname. */
export function renderMetaData(meta: { instanceId: string; hostname: string }): string {
  return `${JSON.stringify({ 'instance-id': meta.instanceId, 'local-hostname': meta.hostname })}\n`;
}

function decode(volume: string, field: string, text: string): string {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new CloudInitSourceError(volume, field, 'expected base64 text');
  return Buffer.from(clean, 'base64').toString('utf8');
}

/** The files of a NoCloud data source. Pure. */
export function noCloudFiles(volume: string, source: CloudInitNoCloudSource, meta: { instanceId: string; hostname: string }): NoCloudFiles {
  if (source.secretRef !== undefined) throw new CloudInitSourceError(volume, 'secretRef', 'user data from a Secret is not supported by pxevirt; put it in userData or userDataBase64');
  if (source.networkDataSecretRef !== undefined) throw new CloudInitSourceError(volume, 'networkDataSecretRef', 'network data from a Secret is not supported by pxevirt; put it in networkData or networkDataBase64');
  const userData = source.userData ?? (source.userDataBase64 !== undefined ? decode(volume, 'userDataBase64', source.userDataBase64) : '');
  const networkData = source.networkData ?? (source.networkDataBase64 !== undefined ? decode(volume, 'networkDataBase64', source.networkDataBase64) : undefined);
  const files: NoCloudFiles = { userData, metaData: renderMetaData(meta) };
  if (networkData !== undefined) files.networkData = networkData;
  return files;
}

/** Writes the ISO (replacing) at `isoPath`: volume id `cidata`, Joliet and Rock Ridge. */
export function buildCloudInitIso(files: NoCloudFiles, isoPath: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const entries = [{ name: 'user-data', data: files.userData }, { name: 'meta-data', data: files.metaData }];
  if (files.networkData !== undefined) entries.push({ name: 'network-config', data: files.networkData });
  return buildIso(entries, CIDATA_LABEL, isoPath, options);
}
