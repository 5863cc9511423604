// PXEServer (pxe.pxevirt.io/v1alpha1): pxevirt's own kind, a PXE server (DHCP/proxyDHCP, TFTP,
// HTTP) attached to a NetworkAttachmentDefinition. Its spec is the `pxevirt pxe serve` config
// plus `network`; the config part is checked by validatePxeServerSpec (pxe-server.ts).
import { CauseType, shown, type Cause } from './causes.ts';
import type { KindInfo, Schema } from './kind.ts';
import { conditionSchema, objectSchema } from './meta-schema.ts';
import { dns1123LabelErrors, validateObjectName } from './names.ts';
import { clone, isObj, type Obj } from './object-path.ts';
import { CLIENT_ARCHES, DHCP_MODES, validatePxeServerSpec, type PxeServerSpec } from './pxe-server.ts';
import { schemaCauses } from './schema-check.ts';
import { array, boolean, integer, object, oneOf, string } from './schema-builders.ts';

/** The PXEServer spec: the server config and the NAD it serves on. */
export interface PxeServerResourceSpec extends PxeServerSpec {
  /** A NetworkAttachmentDefinition: `name` (same namespace) or `namespace/name`. */
  network: string;
}

const port = object({ port: integer() });
const specSchema: Schema = object(
  {
    network: string('NetworkAttachmentDefinition to serve on: `name` or `namespace/name`.'),
    interface: string('Interface inside the server\'s network namespace.'),
    address: string('This server\'s address and prefix, a.b.c.d/nn.'),
    dhcp: object({
      mode: oneOf(DHCP_MODES),
      range: string('first-last; required in server mode.'),
      leaseSeconds: integer(),
      router: string(),
      dns: array(string()),
    }),
    root: string('Directory the images are served from.'),
    http: port,
    tftp: port,
    ipxeDir: string(),
    images: array(object({ name: string(), kernel: string(), initrd: array(string()), cmdline: string(), ipxeScript: string() }, ['name'])),
    hosts: array(
      object(
        { selector: object({ mac: string(), uuid: string(), arch: oneOf(CLIENT_ARCHES), hostname: string() }), image: string() },
        ['selector', 'image'],
      ),
    ),
    defaultImage: string(),
    menu: object({ enabled: boolean(), timeoutSeconds: integer() }),
  },
  ['network', 'interface', 'address', 'root'],
);

const schema = objectSchema(
  { spec: specSchema, status: object({ conditions: array(conditionSchema), address: string(), observedGeneration: integer(undefined, 'int64') }) },
  ['spec'],
  'A PXE boot server on a network attachment.',
);

function splitSpec(spec: Obj): { network: unknown; rest: Obj } {
  const { network, ...rest } = spec;
  return { network, rest };
}

/** Checks `network`: `name` or `namespace/name`, each a DNS-1123 label. */
export function validateNetworkRef(network: unknown, field: string): Cause[] {
  if (network === undefined || network === null || network === '') {
    return [{ type: CauseType.Required, field, message: 'Required value: expected a NetworkAttachmentDefinition name like pxe-net-conf or default/pxe-net-conf, found nothing' }];
  }
  const parts = typeof network === 'string' ? network.split('/') : [];
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => dns1123LabelErrors(p).length > 0)) {
    return [{ type: CauseType.Invalid, field, message: `expected a NetworkAttachmentDefinition name like pxe-net-conf or default/pxe-net-conf, found ${shown(network)}` }];
  }
  return [];
}

/** Admission: name, schema types, `network`, then the config rules of validatePxeServerSpec. */
export function validatePxeServer(object: Obj): Cause[] {
  const causes = [...schemaCauses(schema, object).filter((c) => c.field === 'spec' || !c.field.startsWith('spec.')), ...validateObjectName(object)];
  const spec = object.spec;
  if (!isObj(spec)) return causes;
  const { network, rest } = splitSpec(spec);
  return [...causes, ...validateNetworkRef(network, 'spec.network'), ...validatePxeServerSpec(rest, 'spec').causes];
}

/** Fills the config defaults (ports, lease time, menu, ipxeDir) when the spec is valid. */
export function defaultPxeServer(object: Obj): Obj {
  const out = clone(object);
  if (!isObj(out.spec)) return out;
  const { network, rest } = splitSpec(out.spec);
  const { value } = validatePxeServerSpec(rest, 'spec');
  if (value) out.spec = { network, ...value };
  return out;
}

export const pxeServerKind: KindInfo = {
  group: 'pxe.pxevirt.io',
  versions: ['v1alpha1'],
  kind: 'PXEServer',
  listKind: 'PXEServerList',
  plural: 'pxeservers',
  singular: 'pxeserver',
  shortNames: ['pxe'],
  namespaced: true,
  statusSubresource: true,
  schema,
  printerColumns: [
    { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
    { name: 'Address', type: 'string', jsonPath: '.spec.address' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  default: (object) => defaultPxeServer(object),
  validate: (object) => validatePxeServer(object),
};
