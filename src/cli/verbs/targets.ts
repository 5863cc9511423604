// Turns command-line arguments (`vmi NAME…`, `vmi/NAME`) and manifests into concrete
// resources: resource info, namespace and name.
import { UnknownKindError, UsageError } from '../client/cli-errors.ts';
import { type ResourceInfo } from '../client/discovery.ts';
import type { SourcedObject } from './manifests.ts';
import type { Session } from './session.ts';

/** One resource type with the names asked for (none: every object of the type). */
export interface TypedNames {
  info: ResourceInfo;
  names: string[];
}

/** Parses `TYPE[,TYPE…] [NAME…]` or `TYPE/NAME …` into resolved types with names. */
export async function resolveArgs(session: Session, args: readonly string[]): Promise<TypedNames[]> {
  if (args.length === 0) throw new UsageError('Required resource not specified: give a type such as vmi, vm, net-attach-def, nncp or ns');
  if (args.some((a) => a.includes('/'))) {
    const out: TypedNames[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      if (slash < 0) throw new UsageError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'pxevirt get resource/<resource_name>' instead of 'pxevirt get resource resource/<resource_name>'`);
      const info = await session.discovery.resolve(arg.slice(0, slash));
      const name = arg.slice(slash + 1);
      const same = out.find((t) => t.info === info);
      if (same) same.names.push(name);
      else out.push({ info, names: [name] });
    }
    return out;
  }
  const [types = '', ...names] = args;
  const infos = (await Promise.all(types.split(',').filter((t) => t !== '').map((t) => session.discovery.resolveMany(t)))).flat();
  if (infos.length > 1 && names.length > 0) throw new UsageError('arguments in resource/name form must have a single resource and name');
  return infos.map((info) => ({ info, names }));
}

/** A manifest's object with the resource serving it and the namespace it goes to. */
export interface ManifestTarget extends SourcedObject {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string;
}

/** Resolves a manifest; sets metadata.namespace as kubectl does (the default one when unset). */
export async function resolveManifest(session: Session, item: SourcedObject): Promise<ManifestTarget> {
  const { object, source } = item;
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const meta = (object.metadata ?? {}) as Record<string, unknown>;
  const name = typeof meta.name === 'string' ? meta.name : '';
  const info = await session.discovery.forKind(apiVersion, kind);
  if (!info) throw new UnknownKindError(apiVersion, kind, name, source);
  let namespace: string | undefined;
  if (info.namespaced) {
    const own = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined;
    if (own && session.namespaceExplicit && own !== session.namespace) {
      throw new UsageError(`the namespace from the provided object "${own}" does not match the namespace "${session.namespace}". You must pass '--namespace=${own}' to perform this operation.`);
    }
    namespace = own ?? session.namespace;
    object.metadata = { ...meta, namespace };
  }
  return { ...item, info, namespace, name };
}
