// One DataVolume transfer into its claim's disk, as the storage controller runs it: http (with
// the certConfigMap's CA bundle and the secretRef's basic auth read from the store), registry
// (a containerDisk through the node's image cache and mirrors), pvc (a clone of another claim's
// disk), blank (the provisioned disk is already blank). Abortable; errors name the source.
import { sourceText, type DataVolumePlan } from '../resources/datavolume-spec.ts';
import type { DiskCache, RegistryMirrors } from '../runtime/volumes/index.ts';
import { findClaim, importFile, importHttp, type ClaimDisk, type HttpSource, type ImportOptions } from '../runtime/volumes/index.ts';
import type { ObjectStore, ResourceKey } from '../store/types.ts';
import { getOrNone } from './object-client.ts';

const SECRET_KEY: ResourceKey = { group: '', resource: 'secrets' };
const CONFIGMAP_KEY: ResourceKey = { group: '', resource: 'configmaps' };
const PVC_KEY: ResourceKey = { group: '', resource: 'persistentvolumeclaims' };

/** A transfer could not start or ended badly; the message names the source. */
export class TransferError extends Error {
  constructor(
    readonly source: string,
    readonly why: string,
    options?: { cause?: unknown },
  ) {
    super(why.includes(source) ? why : `${why} (source ${source})`, options);
    this.name = 'TransferError';
  }
}

export interface TransferContext {
  store: ObjectStore;
  /** `<data-dir>/volumes`. */
  claimsDir: string;
  cache?: DiskCache;
  mirrors?: RegistryMirrors;
  importLimits?: ImportOptions['limits'];
}

/** The http source with its CA bundle and credentials read from the DataVolume's namespace. */
function httpSource(ctx: TransferContext, namespace: string, source: Extract<DataVolumePlan['source'], { type: 'http' }>): HttpSource {
  const out: HttpSource = { url: source.url };
  if (source.certConfigMap) {
    const cm = getOrNone(ctx.store, CONFIGMAP_KEY, namespace, source.certConfigMap);
    if (!cm) throw new TransferError(source.url, `certConfigMap ${namespace}/${source.certConfigMap} not found`);
    const data = (cm.data ?? {}) as Record<string, unknown>;
    out.ca = Object.values(data).filter((v): v is string => typeof v === 'string').join('\n');
  }
  if (source.secretRef) {
    const secret = getOrNone(ctx.store, SECRET_KEY, namespace, source.secretRef);
    const data = (secret?.data ?? {}) as Record<string, unknown>;
    const read = (k: string): string | undefined => (typeof data[k] === 'string' ? Buffer.from(data[k] as string, 'base64').toString('utf8') : undefined);
    const user = read('accessKeyId');
    const password = read('secretKey');
    if (!secret || user === undefined || password === undefined) throw new TransferError(source.url, `secretRef ${namespace}/${source.secretRef}: expected a Secret with keys accessKeyId and secretKey, found ${secret ? Object.keys(data).join(', ') || 'no keys' : 'no Secret'}`);
    out.auth = { user, password };
  }
  return out;
}

/** The disk of a Bound claim (the claim's uid must match what this node provisioned). */
export async function claimDiskOf(ctx: TransferContext, namespace: string, name: string): Promise<ClaimDisk | undefined> {
  const pvc = getOrNone(ctx.store, PVC_KEY, namespace, name);
  if (!pvc) return undefined;
  return findClaim(ctx.claimsDir, namespace, name, pvc.metadata.uid);
}

/** Runs the transfer of `plan` into claim `namespace/name`; `onProgress` gets 0–100. */
export async function runTransfer(ctx: TransferContext, namespace: string, name: string, plan: DataVolumePlan, o: { signal: AbortSignal; onProgress: (percent: number) => void }): Promise<void> {
  const from = sourceText(plan.source);
  const disk = await claimDiskOf(ctx, namespace, name);
  if (!disk) throw new TransferError(from, `the claim ${namespace}/${name} has no disk on this node`);
  const options: ImportOptions = { signal: o.signal, onProgress: o.onProgress, ...(ctx.importLimits ? { limits: ctx.importLimits } : {}) };
  try {
    switch (plan.source.type) {
      case 'blank':
        return;
      case 'http':
        return await importHttp(httpSource(ctx, namespace, plan.source), disk, options);
      case 'registry': {
        if (!ctx.cache) throw new TransferError(from, 'no image cache on this node');
        const pulled = await ctx.cache.pull(plan.source.image, {
          signal: o.signal,
          ...(ctx.mirrors ? { mirrors: ctx.mirrors } : {}),
          onProgress: (p) => {
            if (p.total) o.onProgress(Math.min(99, (p.bytes / p.total) * 100));
          },
        });
        return await importFile(pulled.path, from, disk, options);
      }
      case 'pvc': {
        const source = await claimDiskOf(ctx, plan.source.namespace, plan.source.name);
        if (!source) throw new TransferError(from, `the source claim ${from} has no disk on this node`);
        return await importFile(source.path, from, disk, { ...options, known: { format: source.format, virtualSize: source.sizeBytes } });
      }
    }
  } catch (err) {
    if (o.signal.aborted || err instanceof TransferError) throw err;
    throw new TransferError(from, (err as Error).message, { cause: err });
  }
}
