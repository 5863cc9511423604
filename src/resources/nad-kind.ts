// NetworkAttachmentDefinition (k8s.cni.cncf.io/v1, Multus/NPWG): a named CNI config that VMI
// multus networks refer to.
import type { Cause } from './causes.ts';
import type { KindInfo } from './kind.ts';
import { validateCniConfig } from './cni-config.ts';
import { objectSchema } from './meta-schema.ts';
import { validateObjectName } from './names.ts';
import { clone, objAt } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { object, string } from './schema-builders.ts';

const schema = objectSchema(
  { spec: object({ config: string('A CNI network configuration or configuration list, as a JSON string.') }) },
  [],
  'A CNI network that VMIs attach to through multus networks.',
);

export const nadKind: KindInfo = {
  group: 'k8s.cni.cncf.io',
  versions: ['v1'],
  kind: 'NetworkAttachmentDefinition',
  listKind: 'NetworkAttachmentDefinitionList',
  plural: 'network-attachment-definitions',
  singular: 'network-attachment-definition',
  shortNames: ['net-attach-def'],
  namespaced: true,
  statusSubresource: false,
  schema,
  printerColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
  default: (object) => clone(object),
  validate: (object): Cause[] => {
    const structural = schemaCauses(schema, object);
    const names = validateObjectName(object, 'label');
    if (structural.length > 0) return [...structural, ...names];
    return [...names, ...validateCniConfig(objAt(object, 'spec')?.config, 'spec.config')];
  },
};
