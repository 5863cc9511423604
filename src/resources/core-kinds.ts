// The core (v1) kinds kubectl needs: Namespace (cluster-scoped) and Event (namespaced).
import { CauseType, type Cause } from './causes.ts';
import type { KindInfo } from './kind.ts';
import { conditionSchema, objectSchema } from './meta-schema.ts';
import { validateObjectName } from './names.ts';
import { clone, ensureObj, isObj, type Obj } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { array, dateTime, integer, object, opaque, string } from './schema-builders.ts';

const namespaceSchema = objectSchema({
  spec: object({ finalizers: array(string()) }),
  status: object({ phase: string('Active or Terminating.'), conditions: array(conditionSchema) }),
});

export const namespaceKind: KindInfo = {
  group: '',
  versions: ['v1'],
  kind: 'Namespace',
  listKind: 'NamespaceList',
  plural: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: false,
  statusSubresource: true,
  schema: namespaceSchema,
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.phase' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  default: (o, context) => {
    const out = clone(o);
    if (context.operation === 'CREATE' && (out.status === undefined || isObj(out.status))) {
      const status = ensureObj(out, 'status');
      if (status.phase === undefined) status.phase = 'Active';
    }
    return out;
  },
  // Namespace names are DNS-1123 labels in Kubernetes.
  validate: (o) => [...schemaCauses(namespaceSchema, o), ...validateObjectName(o, 'label')],
};

const objectReference = object({
  apiVersion: string(),
  kind: string(),
  name: string(),
  namespace: string(),
  uid: string(),
  resourceVersion: string(),
  fieldPath: string(),
});

const eventSchema = objectSchema(
  {
    involvedObject: objectReference,
    reason: string('Short CamelCase reason, e.g. Started.'),
    message: string(),
    type: string('Normal or Warning.'),
    count: integer(),
    firstTimestamp: dateTime(),
    lastTimestamp: dateTime(),
    eventTime: dateTime(),
    source: object({ component: string(), host: string() }),
    action: string(),
    related: objectReference,
    reportingComponent: string(),
    reportingInstance: string(),
    series: opaque(),
  },
  ['involvedObject'],
);

export const eventKind: KindInfo = {
  group: '',
  versions: ['v1'],
  kind: 'Event',
  listKind: 'EventList',
  plural: 'events',
  singular: 'event',
  shortNames: ['ev'],
  namespaced: true,
  statusSubresource: false,
  schema: eventSchema,
  printerColumns: [
    { name: 'Last Seen', type: 'date', jsonPath: '.lastTimestamp' },
    { name: 'Type', type: 'string', jsonPath: '.type' },
    { name: 'Reason', type: 'string', jsonPath: '.reason' },
    { name: 'Object', type: 'string', jsonPath: '.involvedObject.name' },
    { name: 'Message', type: 'string', jsonPath: '.message' },
  ],
  default: (o) => clone(o),
  validate: (o: Obj): Cause[] => {
    const causes = [...schemaCauses(eventSchema, o), ...validateObjectName(o)];
    if (o.type !== undefined && o.type !== 'Normal' && o.type !== 'Warning') {
      causes.push({ type: CauseType.NotSupported, field: 'type', message: `Unsupported value: ${JSON.stringify(o.type)}: supported values: "Normal", "Warning"` });
    }
    return causes;
  },
};
