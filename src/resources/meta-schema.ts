// Schemas shared by every kind: ObjectMeta, conditions, and the apiVersion/kind/metadata frame.
import { array, boolean, dateTime, integer, map, object, opaque, string, type TSchema } from './schema-builders.ts';

const ownerReference = object(
  {
    apiVersion: string(),
    kind: string(),
    name: string(),
    uid: string(),
    controller: boolean(),
    blockOwnerDeletion: boolean(),
  },
  ['apiVersion', 'kind', 'name', 'uid'],
);

/** metav1.ObjectMeta: what the store keeps for every object. */
export const objectMetaSchema = object(
  {
    name: string('Unique within a namespace; a DNS-1123 subdomain.'),
    generateName: string('Prefix for a server-generated name, used when name is empty.'),
    namespace: string(),
    uid: string(),
    resourceVersion: string('Opaque version for optimistic concurrency and watches.'),
    generation: integer(undefined, 'int64'),
    creationTimestamp: dateTime(),
    deletionTimestamp: dateTime(),
    deletionGracePeriodSeconds: integer(undefined, 'int64'),
    labels: map(string()),
    annotations: map(string()),
    finalizers: array(string()),
    ownerReferences: array(ownerReference),
    // kubectl apply (server-side) and older clients send these; kept as given.
    managedFields: array(opaque()),
    selfLink: string(),
  },
  undefined,
  'Standard object metadata.',
);

/** A status condition as KubeVirt writes them (type, status, times, reason, message). */
export const conditionSchema = object(
  {
    type: string(),
    status: string('True, False or Unknown.'),
    lastProbeTime: dateTime(),
    lastTransitionTime: dateTime(),
    reason: string(),
    message: string(),
  },
  ['type', 'status'],
);

const frame = {
  apiVersion: string('The versioned schema of this object.'),
  kind: string('The REST resource this object represents.'),
  metadata: objectMetaSchema,
};

/** Wraps spec, status and other top-level fields into a whole-object schema (apiVersion, kind, metadata added). */
export function objectSchema<P extends Record<string, TSchema>, R extends keyof P & string = never>(fields: P, required: readonly R[] = [], description?: string) {
  return object({ ...frame, ...fields } as typeof frame & P, required, description);
}
