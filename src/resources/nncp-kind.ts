// NodeNetworkConfigurationPolicy (nmstate.io/v1, cluster-scoped): the host networking pxevirt
// sets up (linux bridges, ethernet, VLANs), in nmstate's field names.
import { CauseType, join, shown, type Cause } from './causes.ts';
import type { KindInfo } from './kind.ts';
import { parseIpv4 } from '../lib/ipv4.ts';
import { conditionSchema, objectSchema } from './meta-schema.ts';
import { interfaceNameProblem } from './interface-name.ts';
import { validateObjectName } from './names.ts';
import { clone, isObj, listAt, objAt, type Obj } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { array, boolean, integer, map, object, oneOf, opaque, quantity, string } from './schema-builders.ts';

export const NNCP_INTERFACE_TYPES = ['linux-bridge', 'ethernet', 'vlan'] as const;
export const NNCP_STATES = ['up', 'down', 'absent'] as const;

const ipv4 = object({
  enabled: boolean(),
  dhcp: boolean(),
  address: array(object({ ip: string(), 'prefix-length': integer() }, ['ip', 'prefix-length'])),
});
const portVlan = object({
  mode: oneOf(['access', 'trunk']),
  tag: integer(),
  'enable-native': boolean(),
  'trunk-tags': array(object({ id: integer(), 'id-range': object({ min: integer(), max: integer() }) })),
});
const iface = object(
  {
    name: string(),
    type: oneOf(NNCP_INTERFACE_TYPES),
    state: oneOf(NNCP_STATES),
    mtu: integer(),
    'mac-address': string(),
    description: string(),
    ipv4,
    ipv6: opaque(),
    bridge: object({
      options: object({ stp: object({ enabled: boolean() }) }),
      port: array(object({ name: string(), vlan: portVlan }, ['name'])),
    }),
    vlan: object({ 'base-iface': string(), id: integer() }, ['base-iface', 'id']),
  },
  ['name'],
);

const schema = objectSchema(
  {
    spec: object({
      nodeSelector: map(string()),
      maxUnavailable: quantity(),
      desiredState: object({ interfaces: array(iface), routes: opaque(), 'dns-resolver': opaque() }),
    }),
    status: object({ conditions: array(conditionSchema), lastHeartbeatTime: string() }),
  },
  [],
  'Host network configuration applied by nmstate.',
);

function validateInterface(o: Obj, at: string, causes: Cause[]): void {
  const fail = (field: string, message: string, type: Cause['type'] = CauseType.Invalid): void => void causes.push({ type, field: join(at, field), message });
  const nameProblem = interfaceNameProblem(o.name);
  if (nameProblem !== undefined) fail('name', nameProblem, typeof o.name === 'string' ? CauseType.Invalid : CauseType.Required);
  const type = o.type;
  if (type === undefined && o.state !== 'absent') fail('type', `expected one of ${NNCP_INTERFACE_TYPES.join(', ')}, found nothing`, CauseType.Required);
  else if (type !== undefined && !(NNCP_INTERFACE_TYPES as readonly unknown[]).includes(type)) fail('type', `expected one of ${NNCP_INTERFACE_TYPES.join(', ')}, found ${shown(type)}`, CauseType.NotSupported);
  if (o.state !== undefined && !(NNCP_STATES as readonly unknown[]).includes(o.state)) fail('state', `expected one of ${NNCP_STATES.join(', ')}, found ${shown(o.state)}`, CauseType.NotSupported);
  if (o.mtu !== undefined && (typeof o.mtu !== 'number' || !Number.isInteger(o.mtu) || o.mtu < 68 || o.mtu > 65535)) fail('mtu', `expected an integer from 68 to 65535, found ${shown(o.mtu)}`);
  listAt(objAt(o, 'ipv4'), 'address').forEach((a, i) => {
    const here = `ipv4.address[${i}]`;
    if (typeof a.ip !== 'string' || parseIpv4(a.ip) === undefined) fail(`${here}.ip`, `expected an IPv4 address like 192.168.100.1, found ${shown(a.ip)}`);
    const p = a['prefix-length'];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 32) fail(`${here}.prefix-length`, `expected an integer from 0 to 32, found ${shown(p)}`);
  });
  if (objAt(o, 'ipv4')?.dhcp === true && listAt(objAt(o, 'ipv4'), 'address').length > 0) fail('ipv4', 'expected either dhcp or static addresses, found both');
  if (type === 'vlan') {
    const vlan = objAt(o, 'vlan');
    if (!vlan) fail('vlan', 'expected vlan {base-iface, id} on an interface of type vlan, found nothing', CauseType.Required);
    else {
      const baseProblem = interfaceNameProblem(vlan['base-iface']);
      if (baseProblem !== undefined) fail('vlan.base-iface', baseProblem, CauseType.Required);
      if (typeof vlan.id !== 'number' || !Number.isInteger(vlan.id) || vlan.id < 0 || vlan.id > 4094) fail('vlan.id', `expected an integer from 0 to 4094, found ${shown(vlan.id)}`);
    }
  }
  if (isObj(o.bridge) && type !== 'linux-bridge') fail('bridge', `expected bridge settings only on type linux-bridge, found type ${shown(type)}`);
  listAt(objAt(o, 'bridge'), 'port').forEach((p, i) => {
    const portProblem = interfaceNameProblem(p.name);
    if (portProblem !== undefined) fail(`bridge.port[${i}].name`, portProblem, CauseType.Required);
    const tag = objAt(p, 'vlan')?.tag;
    if (tag !== undefined && (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 1 || tag > 4094)) fail(`bridge.port[${i}].vlan.tag`, `expected an integer from 1 to 4094, found ${shown(tag)}`);
  });
}

/** Admission for a policy: name, interface fields, unique interface names. */
export function validateNncp(object: Obj): Cause[] {
  const structural = schemaCauses(schema, object);
  const causes = [...validateObjectName(object)];
  if (structural.length > 0) return [...structural, ...causes];
  const at = 'spec.desiredState.interfaces';
  const interfaces = listAt(objAt(objAt(object, 'spec'), 'desiredState'), 'interfaces');
  const seen = new Set<unknown>();
  interfaces.forEach((o, i) => {
    validateInterface(o, join(at, i), causes);
    if (seen.has(o.name)) causes.push({ type: CauseType.Duplicate, field: join(join(at, i), 'name'), message: `expected a unique interface name, found ${shown(o.name)} twice` });
    seen.add(o.name);
  });
  return causes;
}

export const nncpKind: KindInfo = {
  group: 'nmstate.io',
  versions: ['v1'],
  kind: 'NodeNetworkConfigurationPolicy',
  listKind: 'NodeNetworkConfigurationPolicyList',
  plural: 'nodenetworkconfigurationpolicies',
  singular: 'nodenetworkconfigurationpolicy',
  shortNames: ['nncp'],
  namespaced: false,
  statusSubresource: true,
  schema,
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.status=="True")].type', description: 'Status' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.status=="True")].reason', description: 'Reason' },
  ],
  default: (object) => clone(object),
  validate: (object) => validateNncp(object),
};
