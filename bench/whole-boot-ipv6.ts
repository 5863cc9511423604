// The IPv6-only row of the whole-boot benchmark (issue 18 Must-show 5): OVMF without an option
// ROM boots PXEv6 (DHCPv6 → TFTP ipxe.efi → iPXE over IPv6 → HTTP script → kernel) from
// `pxevirt pxe serve` and from dnsmasq doing the same (router advertisements, a DHCPv6 range,
// TFTP, user class iPXE → script URL) + busybox httpd. Run from bench/whole-boot.ts.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace, ip, type NodeNamespace, type TestContextLike } from '../test/helpers/netns.ts';
import { imageEntry, stageImage, startPxeServe, tempDir } from '../test/helpers/pxe.ts';
import { bootToMarker, CMDLINE, peerScript, spawnDnsmasq, spawnHttpd, type Side } from './whole-boot-guest.ts';

const SERVER = 'fd00:100::1';
/** Only the IPv6 boot options (OvmfPkg/RUNTIME_CONFIG.md), PXEv6 first. */
const FW_CFG = ['-fw_cfg', 'name=opt/org.tianocore/IPv4Support,string=no'];

async function ipv6Node(t: TestContextLike): Promise<NodeNamespace> {
  const node = await createNodeNamespace(t);
  await ip('-n', node.name, '-6', 'addr', 'add', `${SERVER}/64`, 'dev', node.bridge, 'nodad');
  return node;
}

const pxevirt: Side = async (t, image) => {
  const node = await ipv6Node(t);
  const pxe = await startPxeServe(t, node, {
    interface: node.bridge,
    ipv6: { address: `${SERVER}/64`, dhcp: { mode: 'stateful', range: 'fd00:100::1000-fd00:100::1fff' } },
    http: { port: 8080 },
    images: [imageEntry('tiny-linux', CMDLINE)],
    defaultImage: 'tiny-linux',
  });
  await stageImage(pxe.root, 'tiny-linux', image);
  return bootToMarker(t, node, 'de:00:00:00:b6:01', { firmware: 'uefi', rom: false, extraArgs: FW_CFG });
};

const dnsmasq: Side = async (t, image) => {
  const node = await ipv6Node(t);
  const dir = await tempDir(t, 'pxevirt-bench-dnsmasq6-');
  const www = join(dir, 'www');
  await mkdir(www);
  await stageImage(www, 'tiny-linux', image);
  await copyFile('/usr/lib/ipxe/ipxe.efi', join(www, 'ipxe.efi'));
  const base = `http://[${SERVER}]:8081`;
  await writeFile(join(www, 'boot.ipxe'), peerScript(base));
  await spawnHttpd(node, www, `[${SERVER}]:8081`, `${base}/boot.ipxe`);
  spawnDnsmasq(node, dir, [
    // Router advertisements with the range's prefix (M flag), router lifetime 0 like pxevirt's.
    '--enable-ra', `--ra-param=${node.bridge},60,0`, '--dhcp-range=fd00:100::1000,fd00:100::1fff,64,10m',
    '--enable-tftp', `--tftp-root=${www}`,
    '--dhcp-userclass=set:ipxe,iPXE', `--dhcp-option=tag:ipxe,option6:bootfile-url,${base}/boot.ipxe`,
    `--dhcp-option=tag:!ipxe,option6:bootfile-url,tftp://[${SERVER}]/ipxe.efi`,
  ]);
  return bootToMarker(t, node, 'de:00:00:00:b6:02', { firmware: 'uefi', rom: false, extraArgs: FW_CFG });
};

export const ipv6Sides = { pxevirt, dnsmasq };
