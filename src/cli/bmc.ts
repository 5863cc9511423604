// `pxevirt bmc list` and `pxevirt bmc baremetalhost VM`: each VM's Redfish address and
// credentials reference, and a Metal3 BareMetalHost (plus Ironic's `node create` arguments)
// ready to paste. The addresses are the API server's own (Redfish is served on its port).
import { stringify } from 'yaml';
import { CREDENTIALS_ANNOTATION } from '../redfish/auth.ts';
import type { Session } from './verbs/session.ts';

interface VmItem {
  metadata: { name: string; namespace?: string; uid: string; annotations?: Record<string, string> };
  spec?: { template?: { spec?: { domain?: { devices?: { interfaces?: Array<{ name?: string; macAddress?: string; bootOrder?: number }> } } } } };
}

/** The Redfish URL of a VM's system on this server. */
export const systemUrl = (server: string, uid: string, scheme = 'https'): string => `${server.replace(/^https?:/, `${scheme}:`).replace(/\/$/, '')}/redfish/v1/Systems/${uid}`;

/** Who signs in to a VM's BMC: its Secret, else the daemon's `admin` with the API token. */
export const credentialsOf = (vm: VmItem): string => vm.metadata.annotations?.[CREDENTIALS_ANNOTATION] ? `secret/${vm.metadata.annotations[CREDENTIALS_ANNOTATION]}` : 'admin (the API token)';

/** Prints a table of every VM's BMC in the session's namespace (or all with allNamespaces). */
export async function bmcList(session: Session, allNamespaces: boolean): Promise<void> {
  const path = allNamespaces ? '/apis/kubevirt.io/v1/virtualmachines' : `/apis/kubevirt.io/v1/namespaces/${encodeURIComponent(session.namespace)}/virtualmachines`;
  const list = await session.client.request<{ items: VmItem[] }>({ method: 'GET', path });
  const rows = [['NAMESPACE', 'NAME', 'REDFISH', 'CREDENTIALS'], ...list.items.map((vm) => [vm.metadata.namespace ?? 'default', vm.metadata.name, systemUrl(session.access.server, vm.metadata.uid), credentialsOf(vm)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) session.io.out(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')}\n`);
}

/** The BareMetalHost of a VM, and the Ironic command, as text. */
export function bareMetalHostText(vm: VmItem, server: string, scheme: 'redfish' | 'redfish-virtualmedia'): string {
  const interfaces = vm.spec?.template?.spec?.domain?.devices?.interfaces ?? [];
  const boot = [...interfaces].sort((a, b) => (a.bootOrder ?? 1e9) - (b.bootOrder ?? 1e9)).find((i) => i.macAddress);
  if (!boot?.macAddress) throw new Error(`VirtualMachine ${vm.metadata.name}: expected spec.template.spec.domain.devices.interfaces[].macAddress (the bootMACAddress), found none`);
  const secret = vm.metadata.annotations?.[CREDENTIALS_ANNOTATION] ?? `${vm.metadata.name}-bmc`;
  const address = systemUrl(server, vm.metadata.uid, scheme);
  const host = {
    apiVersion: 'metal3.io/v1alpha1',
    kind: 'BareMetalHost',
    metadata: { name: vm.metadata.name, namespace: vm.metadata.namespace ?? 'default' },
    spec: { online: false, bootMACAddress: boot.macAddress.toLowerCase(), bmc: { address, credentialsName: secret, disableCertificateVerification: true } },
  };
  const lines = [
    vm.metadata.annotations?.[CREDENTIALS_ANNOTATION] ? `# credentials: Secret ${secret} (username, password), named by the VM's ${CREDENTIALS_ANNOTATION} annotation` : `# credentials: create Secret ${secret} with username/password and annotate the VM ${CREDENTIALS_ANNOTATION}=${secret} (or use admin and the API token)`,
    `# Ironic: openstack baremetal node create --driver redfish --driver-info redfish_address=${server.replace(/\/$/, '')} --driver-info redfish_system_id=/redfish/v1/Systems/${vm.metadata.uid} --driver-info redfish_username=USER --driver-info redfish_password=PASSWORD --driver-info redfish_verify_ca=False --name ${vm.metadata.name}`,
    `#         openstack baremetal port create ${boot.macAddress.toLowerCase()} --node ${vm.metadata.name}`,
  ];
  return `${lines.join('\n')}\n---\n${stringify(host)}`;
}

/** Prints the BareMetalHost of one VM. */
export async function bmcBareMetalHost(session: Session, name: string, scheme: 'redfish' | 'redfish-virtualmedia'): Promise<void> {
  const vm = await session.client.request<VmItem>({ method: 'GET', path: `/apis/kubevirt.io/v1/namespaces/${encodeURIComponent(session.namespace)}/virtualmachines/${encodeURIComponent(name)}` });
  session.io.out(bareMetalHostText(vm, session.access.server, scheme));
}
