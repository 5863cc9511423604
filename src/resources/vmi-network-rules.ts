// KubeVirt's network admission (pkg/network/admitter): network sources, bindings, names,
// NIC models, MAC and PCI addresses, forwarded ports. Messages are KubeVirt's.
import { CauseType, join, type Cause } from './causes.ts';
import { cause } from './admission.ts';
import { isObj, listAt, objAt, type Obj } from './object-path.ts';
import { NIC_MODELS } from './vmi-domain-schema.ts';

const IFACE_NAME = /^[A-Za-z0-9-_]+$/;
// Go's net.ParseMAC forms: colon, hyphen (6, 8 or 20 bytes) and dotted groups of four.
const MAC_SEP = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2})+$/;
const MAC_DOT = /^[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4})+$/;
const PCI = /^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;
const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** The MAC of the in-pod bridge for masquerade; refused on masquerade interfaces. */
export const RESERVED_MAC = '02:00:00:00:00:00';

/** Checks a MAC as Go's net.ParseMAC + KubeVirt's length rule; returns KubeVirt's error text or undefined. */
export function macAddressError(mac: string): string | undefined {
  if (mac === '') return undefined;
  let bytes = 0;
  if (MAC_SEP.test(mac)) bytes = (mac.length + 1) / 3;
  else if (MAC_DOT.test(mac)) bytes = ((mac.length + 1) / 5) * 2;
  if (![6, 8, 20].includes(bytes)) return `malformed MAC address (${mac})`;
  if (bytes > 6) return `too long MAC address (${mac})`;
  return undefined;
}

const bindingsOf = (iface: Obj): string[] => ['bridge', 'masquerade', 'sriov', 'passtBinding', 'binding'].filter((b) => iface[b] !== undefined && iface[b] !== null);

/** Network admission for a VMI spec at `base` (`spec`, or `spec.template.spec` for a VM). */
export function validateNetworks(spec: Obj, base: string): Cause[] {
  const causes: Cause[] = [];
  const networks = listAt(spec, 'networks');
  const ifacePath = join(base, 'domain.devices.interfaces');
  const interfaces = listAt(objAt(objAt(spec, 'domain'), 'devices'), 'interfaces');
  const netPath = (i: number): string => join(join(base, 'networks'), i);

  // One pod network; at most one multus default, and not together with a pod network.
  const pods = networks.filter((n) => isObj(n.pod));
  const multusDefaults = networks.filter((n) => objAt(n, 'multus')?.default === true);
  if (pods.length > 1) {
    causes.push(cause(CauseType.Duplicate, join(base, 'interfaces'), `more than one interface is connected to a pod network in ${join(base, 'interfaces')}`));
  }
  if (multusDefaults.length > 1) causes.push(cause(CauseType.Invalid, join(base, 'networks'), 'Multus CNI should only have one default network'));
  if (pods.length > 0 && multusDefaults.length > 0) {
    causes.push(cause(CauseType.Invalid, join(base, 'networks'), 'Pod network cannot be defined when Multus default network is defined'));
  }

  networks.forEach((n, i) => {
    const sources = ['pod', 'multus', 'resourceClaim'].filter((s) => n[s] !== undefined && n[s] !== null).length;
    if (sources === 0) causes.push(cause(CauseType.Required, netPath(i), 'should have a network type'));
    else if (sources > 1) causes.push(cause(CauseType.Required, netPath(i), 'should have only one network type'));
  });
  const noName = networks.findIndex((n) => isObj(n.multus) && (typeof n.multus.networkName !== 'string' || n.multus.networkName === ''));
  if (noName >= 0) causes.push(cause(CauseType.Required, netPath(noName), 'CNI delegating plugin must have a networkName'));

  const networkByName = new Map<unknown, Obj>();
  for (const n of networks) if (!networkByName.has(n.name)) networkByName.set(n.name, n);

  interfaces.forEach((iface, i) => {
    const at = join(ifacePath, i);
    if (bindingsOf(iface).length !== 1) {
      causes.push(cause(CauseType.Invalid, at, `logical ${String(iface.name ?? '')} interface must have exactly one binding method or binding plugin`));
    }
    const net = networkByName.get(iface.name);
    if (iface.masquerade !== undefined && iface.masquerade !== null) {
      if (!net || !isObj(net.pod)) causes.push(cause(CauseType.Invalid, join(at, 'name'), 'Masquerade interface only implemented with pod network'));
      if (typeof iface.macAddress === 'string' && iface.macAddress.toLowerCase() === RESERVED_MAC) {
        causes.push(cause(CauseType.Invalid, join(at, 'macAddress'), 'The requested MAC address is reserved for the in-pod bridge. Please choose another one.'));
      }
    }
  });

  const seenNetworks = new Set<unknown>();
  networks.forEach((n, i) => {
    if (seenNetworks.has(n.name)) {
      causes.push(cause(CauseType.Duplicate, join(netPath(i), 'name'), `Network with name ${JSON.stringify(String(n.name))} already exists, every network must have a unique name`));
    }
    seenNetworks.add(n.name);
  });

  const ifaceNames = new Set(interfaces.map((x) => x.name));
  networks.forEach((n, i) => {
    if (!ifaceNames.has(n.name)) causes.push(cause(CauseType.Required, join(netPath(i), 'name'), `${join(netPath(i), 'name')} '${String(n.name ?? '')}' not found.`));
  });
  const seenIfaces = new Set<unknown>();
  interfaces.forEach((iface, i) => {
    if (seenIfaces.has(iface.name)) causes.push(cause(CauseType.Duplicate, join(join(ifacePath, i), 'name'), 'Only one interface can be connected to one specific network'));
    seenIfaces.add(iface.name);
  });
  interfaces.forEach((iface, i) => {
    const at = join(join(ifacePath, i), 'name');
    if (!networkByName.has(iface.name)) causes.push(cause(CauseType.Invalid, at, `${at} '${String(iface.name ?? '')}' not found.`));
  });

  interfaces.forEach((iface, i) => causes.push(...validateInterfaceFields(iface, join(ifacePath, i), networkByName.get(iface.name))));
  return causes;
}

function validateInterfaceFields(iface: Obj, at: string, net: Obj | undefined): Cause[] {
  const causes: Cause[] = [];
  const namePath = join(at, 'name');
  if (typeof iface.name !== 'string' || !IFACE_NAME.test(iface.name)) {
    causes.push(cause(CauseType.Invalid, namePath, 'Network interface name can only contain alphabetical characters, numbers, dashes (-) or underscores (_)'));
  }
  if (typeof iface.model === 'string' && iface.model !== '' && !(NIC_MODELS as readonly string[]).includes(iface.model)) {
    causes.push(cause(CauseType.NotSupported, join(at, 'model'), `interface ${namePath} uses model ${iface.model} that is not supported.`));
  }
  if (typeof iface.macAddress === 'string') {
    const err = macAddressError(iface.macAddress);
    if (err) causes.push(cause(CauseType.Invalid, join(at, 'macAddress'), `interface ${namePath} has ${err}.`));
  }
  if (typeof iface.pciAddress === 'string' && iface.pciAddress !== '' && !PCI.test(iface.pciAddress)) {
    causes.push(cause(CauseType.Invalid, join(at, 'pciAddress'), `interface ${namePath} has malformed PCI address (${iface.pciAddress}).`));
  }
  if (net && isObj(net.pod) && Array.isArray(iface.ports)) causes.push(...validatePorts(listAt(iface, 'ports'), join(at, 'ports')));
  return causes;
}

function validatePorts(ports: Obj[], at: string): Cause[] {
  const causes: Cause[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const name = typeof p.name === 'string' ? p.name : '';
    if (name !== '') {
      if (names.has(name)) causes.push(cause(CauseType.Duplicate, join(join(at, i), 'name'), `Duplicate name of the port: ${name}`));
      else if (name.length > 15 || !PORT_NAME.test(name) || !/[a-z]/.test(name) || name.includes('--')) {
        causes.push(cause(CauseType.Invalid, join(join(at, i), 'name'), `Invalid name of the port: ${name}`));
      }
      names.add(name);
    }
  });
  ports.forEach((p, i) => {
    const port = p.port;
    if (port === undefined || port === 0) causes.push(cause(CauseType.Required, join(join(at, i), 'port'), 'Port field is mandatory.'));
    else if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port >= 65536) {
      causes.push(cause(CauseType.Invalid, join(join(at, i), 'port'), 'Port field must be in range 0 < x < 65536.'));
    }
    const protocol = typeof p.protocol === 'string' ? p.protocol.toUpperCase() : '';
    if (p.protocol !== undefined && p.protocol !== '' && protocol !== 'TCP' && protocol !== 'UDP') {
      causes.push(cause(CauseType.NotSupported, join(join(at, i), 'protocol'), 'Unknown protocol, only TCP or UDP allowed'));
    }
  });
  return causes;
}
