// ControllerRevision (apps/v1): an immutable snapshot of data with a revision number, as the
// Kubernetes API serves it. pxevirt keeps the instancetype and preference a VM started with in one.
import { CauseType, type Cause } from './causes.ts';
import type { KindInfo } from './kind.ts';
import { objectSchema } from './meta-schema.ts';
import { validateObjectName } from './names.ts';
import { clone, jsonEqual } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { integer, opaque } from './schema-builders.ts';

const controllerRevisionSchema = objectSchema(
  {
    data: opaque('The serialized state this revision holds.'),
    revision: integer('The revision number of the state in data.', 'int64'),
  },
  ['revision'],
  'An immutable snapshot of state data (apps/v1 ControllerRevision).',
);

/** `virtualmachine.kubevirt.io/NAME` for the controller owner, as kubectl's printer shows it. */
function controllerOf(object: Record<string, unknown>): string {
  const refs = ((object.metadata as { ownerReferences?: Array<Record<string, unknown>> } | undefined)?.ownerReferences ?? []).filter((r) => r.controller === true);
  const ref = refs[0];
  if (!ref) return '<none>';
  const apiVersion = String(ref.apiVersion ?? '');
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  return `${String(ref.kind ?? '').toLowerCase()}${group ? `.${group}` : ''}/${String(ref.name ?? '')}`;
}

export const controllerRevisionKind: KindInfo = {
  group: 'apps',
  versions: ['v1'],
  kind: 'ControllerRevision',
  listKind: 'ControllerRevisionList',
  plural: 'controllerrevisions',
  singular: 'controllerrevision',
  shortNames: [],
  namespaced: true,
  statusSubresource: false,
  schema: controllerRevisionSchema,
  printerColumns: [
    { name: 'Controller', type: 'string', jsonPath: '.metadata.ownerReferences', value: controllerOf },
    { name: 'Revision', type: 'integer', jsonPath: '.revision' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  default: (o) => clone(o),
  validate: (o, context): Cause[] => {
    const causes = [...schemaCauses(controllerRevisionSchema, o), ...validateObjectName(o)];
    if (context.operation === 'UPDATE' && context.old && !jsonEqual(context.old.data, o.data)) {
      causes.push({ type: CauseType.Invalid, field: 'data', message: 'Invalid value: the data of a ControllerRevision: field is immutable' });
    }
    return causes;
  },
};
