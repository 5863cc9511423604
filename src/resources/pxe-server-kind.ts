// PXEServer (pxe.pxevirt.io/v1alpha1): pxevirt's own kind, a PXE server (DHCP/proxyDHCP, TFTP,
// HTTP) attached to a NetworkAttachmentDefinition. Its spec is the `pxevirt pxe serve` config
// plus `network`; the config part is checked by validatePxeServerSpec (pxe-server.ts).
import { CauseType, shown, type Cause } from './causes.ts';
import type { KindInfo } from './kind.ts';
import { conditionSchema, objectSchema } from './meta-schema.ts';
import { dns1123LabelErrors, validateObjectName } from './names.ts';
import { clone, isObj, type Obj } from './object-path.ts';
import { pxeServerConfigFields, validatePxeServerSpec, type PxeServerSpec } from './pxe-server.ts';
import { schemaCauses } from './schema-check.ts';
import { array, dateTime, integer, number, object, oneOf, string, type Static } from './schema-builders.ts';

/** The PXEServer spec: the server config and the NAD it serves on (`name` or `namespace/name`). */
export type PxeServerResourceSpec = PxeServerSpec & Pick<Static<typeof specSchema>, 'network'>;

/** The interface the server's pod gets on the NAD when the spec names none (Multus's first). */
export const DEFAULT_PXE_INTERFACE = 'net1';

// `vms` is the controller's to fill in (from the VMs on the network), not the user's.
const { vms: _filledByController, ...specConfigFields } = pxeServerConfigFields;
const specSchema = object(
  {
    network: string('NetworkAttachmentDefinition to serve on: `name` or `namespace/name`.'),
    ...specConfigFields,
  },
  // `address` (IPv4) or `ipv6.address`: validatePxeServerSpec requires one of them.
  ['network', 'root'],
);

const bootEvent = object(
  {
    time: dateTime(),
    proto: oneOf(['dhcp', 'dhcp6', 'tftp', 'http', 'ndp', 'bmc']),
    event: string('discover, offer, request, ack, rrq, oack, done, script, get, error, …; for bmc the VM Event\'s reason (BMCReset, BMCBootOverride, BMCVirtualMedia) when the action led to this network boot'),
    ip: string(),
    file: string(),
    size: integer('File size in bytes.', 'int64'),
    bytes: integer('Bytes sent.', 'int64'),
    ms: integer('Duration of a finished transfer in milliseconds.', 'int64'),
    status: integer('HTTP status.'),
    image: string(),
    arch: string(),
    message: string('Why (refusals, errors, the image selection).'),
  },
  ['time', 'proto', 'event'],
);

/** status as the PXEServer controller writes it (the web UI renders these fields). */
const statusSchema = object({
  phase: oneOf(['Pending', 'Running', 'Failed', 'Terminating']),
  conditions: array(conditionSchema, 'Ready: True (reason Serving) or False (NetworkNotFound, NetworkAttachFailed, AddressFailed, ImageDownloadFailed, ServerStartFailed, ServerExited, Starting). LeasesRecovered: True (reason LeasesFileCorrupt or LeasesFileEmpty) when the server found a bad leases.json, moved it aside and started with no leases.'),
  address: string('The server\'s addresses on the network (a.b.c.d/nn, the IPv6 one, or both joined by "and"), once attached.'),
  interface: string(),
  mac: string('The MAC of the server\'s interface on the network.'),
  netns: string('The server\'s network namespace on the node.'),
  observedGeneration: integer(undefined, 'int64'),
  leases: array(object({ mac: string(), ip: string(), hostname: string(), state: oneOf(['offered', 'bound', 'declined']), expiresAt: dateTime() }, ['mac', 'ip', 'state']), 'Unexpired DHCP leases, by address.'),
  boots: array(
    object(
      {
        mac: string(),
        ip: string(),
        image: string(),
        lastSeen: dateTime(),
        events: array(bootEvent, 'The newest events of this host, oldest first.'),
        gaps: array(
          object(
            {
              from: dateTime(),
              to: dateTime(),
              seconds: number('Length of the gap.'),
              cause: string('ipv6-router-discovery, dhcp-retry, proxy-dhcp-wait, tftp-retransmits, slow-http-read, menu, firmware, booting-image, secure-boot-refused (the firmware fetched the unsigned iPXE and never ran it) or unknown.'),
              likely: string('What the client was most likely doing, from what the server saw.'),
            },
            ['from', 'to', 'likely'],
          ),
          'Stretches over a second without events, explained.',
        ),
      },
      ['mac', 'events'],
    ),
    'Per-MAC boot timelines (DHCP → TFTP → HTTP), most recently active host first.',
  ),
  hosts: array(
    object(
      {
        mac: string(),
        state: oneOf(['Installing', 'Provisioned']),
        image: string('The image the host installs (or installed).'),
        installStartedAt: dateTime('When its last install boot was answered.'),
        provisionedAt: dateTime('When its install called {{doneURL}}.'),
        lastLocalBootAt: dateTime('When it was last told to boot from its next device (hosts with once: true).'),
      },
      ['mac', 'state'],
    ),
    'Install state per host, most recently changed first. Send a host back to install with `pxevirt pxe reprovision NAME MAC` or the annotation reprovision.pxe.pxevirt.io/<mac-with-dashes>: <RFC 3339 time>.',
  ),
  vmMatches: array(
    object({ host: integer('Index in spec.hosts.'), image: string(), vms: array(string(), '`Kind namespace/name (MACs)` of each VM the entry selects.') }, ['host', 'image', 'vms']),
    'For each host entry with vmSelector or vmName: the VirtualMachines and VMIs on this network it matches now.',
  ),
  transfers: array(
    object({ proto: oneOf(['tftp', 'http']), file: string(), ip: string(), mac: string(), size: integer(undefined, 'int64'), bytes: integer(undefined, 'int64'), startedAt: dateTime() }, ['proto', 'file', 'bytes']),
    'Transfers in progress.',
  ),
});

const schema = objectSchema({ spec: specSchema, status: statusSchema }, ['spec'], 'A PXE boot server on a network attachment.');

const ROOT_PLACEHOLDER = '/<data-dir>/pxe';

/**
 * The config part of the spec, as validatePxeServerSpec wants it: `interface` defaults to
 * net1 and a relative `root` (under <data-dir>/pxe on the node) is checked as if absolute.
 */
function splitSpec(spec: Obj): { network: unknown; rest: Obj; relativeRoot?: string } {
  const { network, ...rest } = spec;
  if (rest.interface === undefined) rest.interface = DEFAULT_PXE_INTERFACE;
  if (typeof rest.root === 'string' && rest.root !== '' && !rest.root.startsWith('/') && !rest.root.split('/').includes('..')) {
    const relativeRoot = rest.root;
    rest.root = `${ROOT_PLACEHOLDER}/${relativeRoot}`;
    return { network, rest, relativeRoot };
  }
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
  const config = validatePxeServerSpec(rest, 'spec').causes.map((c) =>
    c.field === 'spec.root' && c.message.startsWith('expected an absolute directory path')
      ? { ...c, message: `expected an absolute directory path or one relative to <data-dir>/pxe without "..", found ${shown(rest.root)}` }
      : c,
  );
  const filled = rest.vms === undefined ? [] : [{ type: CauseType.Invalid, field: 'spec.vms', message: `expected nothing: the controller fills in the VMs from the network (select them with hosts[].selector.vmSelector or vmName), found ${shown(rest.vms)}` }];
  return [...causes, ...validateNetworkRef(network, 'spec.network'), ...config, ...filled];
}

/** Fills the config defaults (ports, lease time, menu, ipxeDir) when the spec is valid. */
export function defaultPxeServer(object: Obj): Obj {
  const out = clone(object);
  if (!isObj(out.spec)) return out;
  const { network, rest, relativeRoot } = splitSpec(out.spec);
  const { value } = validatePxeServerSpec(rest, 'spec');
  if (value) {
    // ipxeDir is the node's setting (daemon pxeIpxeDir): kept only when the spec gave it.
    const { ipxeDir, ...config } = value;
    out.spec = { network, ...config, ...(rest.ipxeDir === undefined ? {} : { ipxeDir }), ...(relativeRoot === undefined ? {} : { root: relativeRoot }) };
  }
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
