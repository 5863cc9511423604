// DataVolume (cdi.kubevirt.io/v1beta1), as CDI serves it: columns Phase, Progress, Restarts;
// the spec checked by CDI's webhook rules (datavolume-spec.ts) and fixed once created.
import { CauseType, type Cause } from './causes.ts';
import { dataVolumeSpecCauses, dataVolumeSpecSchema } from './datavolume-spec.ts';
import type { KindInfo } from './kind.ts';
import { objectSchema } from './meta-schema.ts';
import { validateObjectName } from './names.ts';
import { clone, isObj, jsonEqual } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { array, dateTime, integer, object, string } from './schema-builders.ts';

export const dataVolumeConditionSchema = object(
  { type: string('Bound, Ready or Running.'), status: string(), lastTransitionTime: dateTime(), lastHeartbeatTime: dateTime(), reason: string(), message: string() },
  ['type', 'status'],
);

const dataVolumeSchema = objectSchema(
  {
    spec: dataVolumeSpecSchema,
    status: object({
      phase: string('Pending, PVCBound, ImportScheduled, ImportInProgress, CloneScheduled, CloneInProgress, Succeeded, Failed, Unknown.'),
      progress: string('N/A, or the share copied such as 45.20%.'),
      restartCount: integer(),
      claimName: string(),
      conditions: array(dataVolumeConditionSchema),
    }),
  },
  ['spec'],
);

export const dataVolumeKind: KindInfo = {
  group: 'cdi.kubevirt.io',
  versions: ['v1beta1'],
  kind: 'DataVolume',
  listKind: 'DataVolumeList',
  plural: 'datavolumes',
  singular: 'datavolume',
  shortNames: ['dv', 'dvs'],
  categories: ['all'],
  namespaced: true,
  statusSubresource: true,
  schema: dataVolumeSchema,
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'The phase the data volume is in' },
    { name: 'Progress', type: 'string', jsonPath: '.status.progress', description: 'Transfer progress in percentage if known, N/A otherwise' },
    { name: 'Restarts', type: 'integer', jsonPath: '.status.restartCount', description: 'The number of times the transfer has been restarted.' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  default: (o) => clone(o),
  validate: (o, context) => {
    const causes: Cause[] = [...schemaCauses(dataVolumeSchema, o), ...validateObjectName(o)];
    if (causes.length > 0) return causes;
    causes.push(...dataVolumeSpecCauses(isObj(o.spec) ? o.spec : undefined, 'spec'));
    if (context.operation === 'UPDATE' && context.old && !jsonEqual(context.old.spec, o.spec)) {
      causes.push({ type: CauseType.Invalid, field: 'spec', message: 'Forbidden: the DataVolume spec cannot be changed after creation' });
    }
    return causes;
  },
};
