// NodeNetworkConfigurationEnactment (nmstate.io/v1beta1, cluster-scoped): one policy's result on
// one node, named `<node>.<policy>`, written by the NNCP controller (users only read it).
import type { KindInfo } from './kind.ts';
import { conditionSchema, objectSchema } from './meta-schema.ts';
import { validateObjectName } from './names.ts';
import { clone } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { array, integer, object, opaque, string } from './schema-builders.ts';

const schema = objectSchema(
  {
    status: object({
      desiredState: opaque('The policy\'s desiredState as applied.'),
      desiredStateMetaInfo: object({ version: string() }),
      policyGeneration: integer('The policy generation this result is for.', 'int64'),
      conditions: array(conditionSchema),
    }),
  },
  [],
  'The result of applying a NodeNetworkConfigurationPolicy on one node.',
);

export const nnceKind: KindInfo = {
  group: 'nmstate.io',
  versions: ['v1beta1'],
  kind: 'NodeNetworkConfigurationEnactment',
  listKind: 'NodeNetworkConfigurationEnactmentList',
  plural: 'nodenetworkconfigurationenactments',
  singular: 'nodenetworkconfigurationenactment',
  shortNames: ['nnce'],
  namespaced: false,
  statusSubresource: true,
  schema,
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.status=="True")].type', description: 'Status' },
    { name: 'Status Age', type: 'date', jsonPath: '.status.conditions[?(@.status=="True")].lastTransitionTime', description: 'Status Age' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.status=="True")].reason', description: 'Reason' },
  ],
  default: (o) => clone(o),
  validate: (o) => [...schemaCauses(schema, o), ...validateObjectName(o)],
};
