// `pxevirt apply -f`: kubectl's client-side apply — the last-applied-configuration
// annotation, create when missing, else a three-way JSON merge patch.
import { ApiStatusError } from '../client/cli-errors.ts';
import { resourcePath, typeName } from '../client/discovery.ts';
import { sortKeys } from '../printers/serialize.ts';
import { dryRunMode, throwCollected } from './create.ts';
import { readManifests } from './manifests.ts';
import { resolveManifest } from './targets.ts';
import { threeWayMergePatch } from './three-way-merge.ts';
import type { Session } from './session.ts';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
type Obj = Record<string, unknown>;

export interface ApplyOptions {
  filename: string[];
  dryRun?: string;
}

/** The object to send: `object` with the annotation holding its own JSON (without the annotation). */
export function withLastApplied(object: Obj): Obj {
  const meta = { ...((object.metadata ?? {}) as Obj) };
  const annotations = { ...((meta.annotations ?? {}) as Record<string, string>) };
  delete annotations[LAST_APPLIED];
  const bare = { ...object, metadata: { ...meta, annotations } };
  const text = `${JSON.stringify(sortKeys(bare))}\n`;
  return { ...object, metadata: { ...meta, annotations: { ...annotations, [LAST_APPLIED]: text } } };
}

/** The last-applied configuration stored on a live object, if any. */
export function lastApplied(live: Obj): Obj | undefined {
  const text = ((live.metadata as Obj | undefined)?.annotations as Record<string, string> | undefined)?.[LAST_APPLIED];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Obj;
  } catch {
    return undefined;
  }
}

/** Runs `apply`. */
export async function apply(session: Session, options: ApplyOptions): Promise<void> {
  const items = await readManifests(options.filename, () => session.io.readStdin(), 'apply');
  const dry = dryRunMode(options.dryRun);
  const query = { fieldManager: 'kubectl-client-side-apply', fieldValidation: 'Strict', dryRun: dry.query };
  const errors: unknown[] = [];
  for (const item of items) {
    let stage = 'retrieving current configuration of';
    try {
      const target = await resolveManifest(session, item);
      const path = resourcePath(target.info, target.namespace, target.name);
      const modified = withLastApplied(target.object);
      const label = `${typeName(target.info.kind, target.info.group)}/${target.name}`;
      let live: Obj | undefined;
      try {
        live = await session.client.request({ path });
      } catch (err) {
        if (!(err instanceof ApiStatusError && err.httpCode === 404)) throw err;
      }
      stage = 'creating';
      if (!live) {
        if (!dry.client) await session.client.request({ method: 'POST', path: resourcePath(target.info, target.namespace), query, body: modified });
        session.io.out(`${label} created${dry.suffix}\n`);
        continue;
      }
      const patch = threeWayMergePatch(lastApplied(live), modified, live);
      if (Object.keys(patch).length === 0) {
        session.io.out(`${label} unchanged${dry.suffix}\n`);
        continue;
      }
      stage = 'applying patch to';
      if (!dry.client) await session.client.request({ method: 'PATCH', path, query, body: patch, contentType: 'application/merge-patch+json' });
      session.io.out(`${label} configured${dry.suffix}\n`);
    } catch (err) {
      errors.push(err instanceof ApiStatusError ? err.withSource(stage, item.source) : err);
    }
  }
  throwCollected(errors);
}
