import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planVmi, DevicePlanError, type DevicePlan } from '../resources/device-plan.ts';
import { defaultVmiSpec } from '../resources/vmi-defaults.ts';
import type { VmiSpec } from '../resources/vmi-schema.ts';
import { qemuArgs, QemuArgsError, SANDBOX_RUNAS, type QemuArgsContext } from './qemu-args.ts';
import { ARCH_PROFILES, hostArchitecture } from './qemu-arch.ts';

type Obj = Record<string, unknown>;

function plan(spec: Obj, defaults = true): DevicePlan {
  const s = structuredClone(spec);
  if (defaults) defaultVmiSpec(s, 'a');
  return planVmi({ metadata: { name: 'a', namespace: 'ns1', uid: 'u1' }, spec: s as VmiSpec });
}

const arm64Spec: Obj = {
  architecture: 'arm64',
  domain: {
    resources: { requests: { memory: '512Mi' } },
    devices: { interfaces: [{ name: 'pxe', bridge: {}, bootOrder: 1, macAddress: '02:00:00:00:00:01' }] },
  },
  networks: [{ name: 'pxe', multus: { networkName: 'pxe-net' } }],
};

const ctx = (over: Partial<QemuArgsContext> = {}): QemuArgsContext => ({
  runDir: '/data/run/vmi/u1',
  accel: 'tcg',
  disks: [],
  nics: [{ name: 'pxe', mac: '02:00:00:00:00:01', model: 'virtio', bootOrder: 1, tap: 'tap0' }],
  ovmf: { code: '/usr/share/AAVMF/AAVMF_CODE.fd', vars: '/data/run/vmi/u1/AAVMF_VARS.fd' },
  ...over,
});
const values = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));

test('arm64: the virt machine under TCG with the max CPU, AAVMF on pflash, the NIC on PCI without an x86 ROM, serial on the PL011', () => {
  const p = plan(arm64Spec);
  assert.equal(p.arch, 'arm64');
  assert.equal(p.machine, 'virt');
  assert.equal(p.firmware.bootloader, 'efi');
  const args = qemuArgs(p, ctx());
  assert.deepEqual(values(args, '-machine'), ['virt']);
  assert.deepEqual(values(args, '-cpu'), ['max,pauth-impdef=on']);
  assert.deepEqual(values(args, '-drive'), ['if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd', 'if=pflash,format=raw,unit=1,file=/data/run/vmi/u1/AAVMF_VARS.fd']);
  assert.ok(values(args, '-device').includes('virtio-net-pci,id=net0,mac=02:00:00:00:00:01,netdev=netdev0,bootindex=1,romfile='));
  // The virt machine's first serial port is its PL011 (console=ttyAMA0); no SeaBIOS sercon file.
  assert.deepEqual(values(args, '-serial'), ['chardev:serial0']);
  assert.ok(!args.includes('-fw_cfg'));
  // VNC shows a virtio GPU (no VGA on virt); the EFI NIC boot gets its RNG.
  assert.ok(values(args, '-device').includes('virtio-gpu-pci'));
  assert.ok(!args.includes('-vga'));
  assert.ok(values(args, '-device').includes('virtio-rng-pci'));
  assert.equal(ARCH_PROFILES[p.arch].binary, 'qemu-system-aarch64');
});

test('arm64 keeps the sandbox and -runas of every QEMU', () => {
  const args = qemuArgs(plan(arm64Spec), ctx({ runAs: 'pxevirt-qemu' }));
  assert.deepEqual(values(args, '-sandbox'), [SANDBOX_RUNAS]);
  assert.deepEqual(values(args, '-runas'), ['pxevirt-qemu']);
});

test('arm64 refuses what its machine lacks, naming the field: bios, Secure Boot, q35, a SATA disk', () => {
  const bios = structuredClone(arm64Spec) as any;
  bios.domain.firmware = { bootloader: { bios: {} } };
  assert.throws(() => plan(bios), (e: unknown) => e instanceof DevicePlanError && e.path === 'spec.domain.firmware.bootloader.bios' && /arm64 boots UEFI only/.test(e.message));
  const q35 = plan({ ...arm64Spec, domain: { ...(arm64Spec.domain as Obj), machine: { type: 'q35' } } });
  assert.throws(() => qemuArgs(q35, ctx()), (e: unknown) => e instanceof QemuArgsError && e.path === 'spec.domain.machine.type' && /virt or virt-<version> \(architecture arm64\)/.test(e.message));
  const sb = structuredClone(arm64Spec) as any;
  sb.domain.firmware = { bootloader: { efi: { secureBoot: true } } };
  assert.throws(() => qemuArgs(plan(sb), ctx()), (e: unknown) => e instanceof QemuArgsError && e.path === 'spec.domain.firmware.bootloader.efi.secureBoot');
  const sata = structuredClone(arm64Spec) as any;
  sata.domain.devices.disks = [{ name: 'd', disk: { bus: 'sata' } }];
  sata.volumes = [{ name: 'd', emptyDisk: { capacity: '1Gi' } }];
  assert.throws(() => qemuArgs(plan(sata), ctx({ disks: [{ name: 'd', path: '/x/d.qcow2', format: 'qcow2' }] })), (e: unknown) => e instanceof QemuArgsError && e.path === 'spec.domain.devices.disks[0].disk.bus');
  // Without a bus the arm64 disk is virtio.
  const plain = structuredClone(arm64Spec) as any;
  plain.domain.devices.disks = [{ name: 'd' }];
  plain.volumes = [{ name: 'd', emptyDisk: { capacity: '1Gi' } }];
  assert.equal(plan(plain, false).disks[0]?.bus, 'virtio');
});

test('an architecture pxevirt does not run is a plan error naming spec.architecture', () => {
  assert.throws(() => plan({ ...arm64Spec, architecture: 'ppc64le' }), (e: unknown) => e instanceof DevicePlanError && e.path === 'spec.architecture' && /found "ppc64le"/.test(e.message));
});

test('amd64 is unchanged: q35, no -cpu under TCG, VGA', () => {
  const p = plan({ ...arm64Spec, architecture: 'amd64' });
  const { ovmf: _aavmf, ...bios } = ctx();
  const args = qemuArgs(p, bios);
  assert.deepEqual(values(args, '-machine'), ['q35']);
  assert.deepEqual(values(args, '-cpu'), []);
  assert.deepEqual(values(args, '-vga'), ['std']);
  assert.ok(values(args, '-device').includes('virtio-net-pci,id=net0,mac=02:00:00:00:00:01,netdev=netdev0,bootindex=1'));
});

test('KVM is for the host architecture only', () => {
  assert.equal(hostArchitecture('x64'), 'amd64');
  assert.equal(hostArchitecture('arm64'), 'arm64');
  assert.equal(hostArchitecture('s390x'), undefined);
});
