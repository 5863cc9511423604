import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planVmi, type DevicePlan } from '../resources/device-plan.ts';
import { defaultVmiSpec } from '../resources/vmi-defaults.ts';
import type { VmiSpec } from '../resources/vmi-schema.ts';
import { bootRestoreSteps, qemuArgs, QemuArgsError, type QemuArgsContext } from './qemu-args.ts';
import { BOOT_OVERRIDE_ANNOTATION } from '../resources/boot-override.ts';

type Obj = Record<string, unknown>;

/** The device plan of a defaulted spec (built loosely here: some specs are deliberately partial). */
function vmi(spec: Obj, name = 'seed'): DevicePlan {
  const s = structuredClone(spec);
  defaultVmiSpec(s, name);
  return planVmi({ metadata: { name, namespace: 'ns1', uid: 'u1' }, spec: s as VmiSpec });
}

const seedSpec: Obj = {
  domain: {
    resources: { requests: { memory: '1024M' } },
    devices: {
      disks: [{ name: 'root', bootOrder: 2, disk: { bus: 'virtio' } }],
      interfaces: [
        { name: 'pxe', bridge: {}, bootOrder: 1, macAddress: '02:00:00:00:00:01' },
        { name: 'data', bridge: {}, model: 'e1000' },
      ],
    },
  },
  networks: [
    { name: 'pxe', multus: { networkName: 'pxe-net' } },
    { name: 'data', multus: { networkName: 'data-net' } },
  ],
  volumes: [{ name: 'root', containerDisk: { image: 'example/disk:1' } }],
};

const ctx = (over: Partial<QemuArgsContext> = {}): QemuArgsContext => ({
  runDir: '/data/run/vmi/u1',
  accel: 'tcg',
  disks: [{ name: 'root', path: '/data/run/vmi/u1/root.qcow2', format: 'qcow2' }],
  nics: [
    { name: 'pxe', mac: '02:00:00:00:00:01', model: 'virtio', bootOrder: 1, tap: 'tap0' },
    { name: 'data', mac: '02:00:00:00:00:02', model: 'e1000' },
  ],
  ...over,
});

/** The value after each occurrence of `flag`. */
const values = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));

test('the seed VMI: disk at bootindex 2, NIC at bootindex 1 with its default ROM, the other NIC without a ROM', () => {
  const args = qemuArgs(vmi(seedSpec), ctx());
  const devices = values(args, '-device');
  assert.deepEqual(devices, [
    'virtio-blk-pci,id=disk0,drive=drive-disk0,bootindex=2',
    'virtio-net-pci,id=net0,mac=02:00:00:00:00:01,netdev=netdev0,bootindex=1',
    'e1000,id=net1,mac=02:00:00:00:00:02,romfile=',
  ]);
  assert.ok(!devices[1]?.includes('romfile'), 'a NIC with a bootOrder never names romfile');
  assert.deepEqual(values(args, '-drive'), ['if=none,id=drive-disk0,file=/data/run/vmi/u1/root.qcow2,format=qcow2']);
  assert.deepEqual(values(args, '-netdev'), ['tap,id=netdev0,ifname=tap0,script=no,downscript=no']);
  assert.deepEqual(values(args, '-boot'), ['strict=on']);
});

test('machine, accelerator, memory, smp, uuid, name and the run-dir sockets', () => {
  const args = qemuArgs(vmi(seedSpec), ctx());
  assert.deepEqual(values(args, '-machine'), ['q35']);
  assert.deepEqual(values(args, '-accel'), ['tcg']);
  // 1024M = 1024×10^6 bytes = 976.56 MiB → 977.
  assert.deepEqual(values(args, '-m'), ['977']);
  assert.deepEqual(values(args, '-smp'), ['1,sockets=1,cores=1,threads=1']);
  assert.deepEqual(values(args, '-name'), ['guest=ns1_seed']);
  assert.match(values(args, '-uuid')[0] ?? '', /^[0-9a-f-]{36}$/);
  assert.deepEqual(values(args, '-chardev'), ['socket,id=serial0,path=/data/run/vmi/u1/serial.sock,server=on,wait=off,logfile=/data/run/vmi/u1/serial.log,logappend=on']);
  assert.deepEqual(values(args, '-serial'), ['chardev:serial0']);
  assert.deepEqual(values(args, '-vnc'), ['unix:/data/run/vmi/u1/vnc.sock']);
  assert.deepEqual(values(args, '-vga'), ['std']);
  assert.deepEqual(values(args, '-qmp'), ['unix:/data/run/vmi/u1/qmp.sock,server=on,wait=off']);
  assert.deepEqual(values(args, '-pidfile'), ['/data/run/vmi/u1/qemu.pid']);
  assert.deepEqual(values(args, '-display'), ['none']);
  assert.ok(args.includes('-nodefaults'));
  assert.deepEqual(values(args, '-sandbox'), ['on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny']);
  assert.ok(!args.includes('-daemonize'), 'the supervisor detaches QEMU itself');
  assert.ok(!args.includes('-cpu'), 'TCG keeps QEMU’s default CPU for host-model');
});

test('BIOS by default: the SeaBIOS serial console through the sercon-port fw_cfg file', () => {
  const args = qemuArgs(vmi(seedSpec), ctx());
  assert.deepEqual(values(args, '-fw_cfg'), ['name=etc/sercon-port,file=/data/run/vmi/u1/sercon-port']);
  assert.ok(!args.some((a) => a.includes('pflash')));
});

test('firmware.bootloader.efi: OVMF code read-only and the per-VMI vars copy, no sercon', () => {
  const spec = structuredClone(seedSpec);
  (spec.domain as Obj).firmware = { bootloader: { efi: { secureBoot: false } }, uuid: '11111111-2222-3333-4444-555555555555' };
  const args = qemuArgs(vmi(spec), ctx({ ovmf: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/data/run/vmi/u1/OVMF_VARS.fd' } }));
  assert.deepEqual(values(args, '-drive').filter((d) => d.startsWith('if=pflash')), [
    'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
    'if=pflash,format=raw,unit=1,file=/data/run/vmi/u1/OVMF_VARS.fd',
  ]);
  assert.deepEqual(values(args, '-fw_cfg'), []);
  assert.deepEqual(values(args, '-uuid'), ['11111111-2222-3333-4444-555555555555']);
});

test('EFI without OVMF files from the runtime is an error naming the field', () => {
  const spec = structuredClone(seedSpec);
  (spec.domain as Obj).firmware = { bootloader: { efi: {} } };
  assert.throws(() => qemuArgs(vmi(spec), ctx()), (err: unknown) => err instanceof QemuArgsError && err.path === 'spec.domain.firmware.bootloader.efi');
});

test('disks on every bus: sata on the AHCI ports, scsi behind one virtio-scsi controller, usb behind xhci, CD-ROMs read-only', () => {
  const spec: Obj = {
    domain: {
      memory: { guest: '1Gi' },
      devices: {
        autoattachPodInterface: false,
        disks: [
          { name: 'a', disk: { bus: 'sata' } },
          { name: 'b', cdrom: { bus: 'sata' } },
          { name: 'c', disk: { bus: 'scsi' }, serial: 'S1' },
          { name: 'd', cdrom: { bus: 'scsi' }, bootOrder: 3 },
          { name: 'e', disk: { bus: 'usb' } },
          { name: 'f' },
        ],
      },
    },
  };
  const disks = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ name, path: `/r/${name}.img`, format: 'raw' as const }));
  const args = qemuArgs(vmi(spec), ctx({ disks, nics: [] }));
  assert.deepEqual(values(args, '-m'), ['1024']);
  assert.deepEqual(values(args, '-device'), [
    'ide-hd,id=disk0,bus=ide.0,drive=drive-disk0',
    'ide-cd,id=disk1,bus=ide.1,drive=drive-disk1',
    'virtio-scsi-pci,id=scsi0',
    'scsi-hd,id=disk2,bus=scsi0.0,drive=drive-disk2,serial=S1',
    'scsi-cd,id=disk3,bus=scsi0.0,drive=drive-disk3,bootindex=3',
    'qemu-xhci,id=usb0',
    'usb-storage,id=disk4,bus=usb0.0,drive=drive-disk4',
    'ide-hd,id=disk5,bus=ide.2,drive=drive-disk5',
  ]);
  const drives = values(args, '-drive');
  assert.equal(drives[1], 'if=none,id=drive-disk1,file=/r/b.img,format=raw,readonly=on');
  assert.equal(drives[0], 'if=none,id=drive-disk0,file=/r/a.img,format=raw');
  assert.deepEqual(values(args, '-boot'), ['strict=on']);
});

test('an ISO volume (config disk) on a virtio disk keeps its serial and is read-only', () => {
  const spec: Obj = { domain: { memory: { guest: '1Gi' }, devices: { autoattachPodInterface: false, disks: [{ name: 'cfg', disk: { bus: 'virtio' }, serial: 'CFG1' }] } } };
  const args = qemuArgs(vmi(spec), ctx({ disks: [{ name: 'cfg', path: '/r/cfg.iso', format: 'raw', readonly: true, cdrom: true }], nics: [] }));
  assert.deepEqual(values(args, '-device').filter((d) => d.startsWith('virtio-blk')), ['virtio-blk-pci,id=disk0,drive=drive-disk0,serial=CFG1']);
  assert.equal(values(args, '-drive')[0], 'if=none,id=drive-disk0,file=/r/cfg.iso,format=raw,readonly=on');
});

test('no bootOrder anywhere: no strict boot, so the firmware still finds the disk', () => {
  const spec = structuredClone(seedSpec);
  const devices = (spec.domain as Obj).devices as Obj;
  devices.disks = [{ name: 'root', disk: { bus: 'virtio' } }];
  const args = qemuArgs(vmi(spec), ctx({ nics: [] }));
  assert.deepEqual(values(args, '-boot'), []);
  assert.deepEqual(values(args, '-device'), ['virtio-blk-pci,id=disk0,drive=drive-disk0']);
});

test('a volume the runtime did not resolve is an error naming the disk', () => {
  assert.throws(() => qemuArgs(vmi(seedSpec), ctx({ disks: [] })), (err: unknown) => err instanceof QemuArgsError && err.path === 'spec.domain.devices.disks[0].name' && err.found === 'root');
});

test('CPU topology multiplies into the vCPU count; a named model is passed, host-model is `host` under KVM', () => {
  const spec = structuredClone(seedSpec);
  (spec.domain as Obj).cpu = { sockets: 2, cores: 2, threads: 1 };
  const tcg = qemuArgs(vmi(spec), ctx());
  assert.deepEqual(values(tcg, '-smp'), ['4,sockets=2,cores=2,threads=1']);
  assert.deepEqual(values(qemuArgs(vmi(spec), ctx({ accel: 'kvm' })), '-cpu'), ['host']);
  (spec.domain as Obj).cpu = { cores: 1, model: 'Haswell' };
  assert.deepEqual(values(qemuArgs(vmi(spec), ctx()), '-cpu'), ['Haswell']);
});

test('NIC models map to QEMU devices; an unknown model is an error', () => {
  const models = { virtio: 'virtio-net-pci', e1000: 'e1000', e1000e: 'e1000e', rtl8139: 'rtl8139' };
  for (const [model, device] of Object.entries(models)) {
    const args = qemuArgs(vmi(seedSpec), ctx({ nics: [{ name: 'pxe', mac: '02:00:00:00:00:09', model }] }));
    assert.deepEqual(values(args, '-device').slice(1), [`${device},id=net0,mac=02:00:00:00:00:09,romfile=`]);
  }
  assert.throws(() => qemuArgs(vmi(seedSpec), ctx({ nics: [{ name: 'pxe', mac: '02:00:00:00:00:09', model: 'tulip' }] })), QemuArgsError);
});

test('a non-q35 machine type is refused', () => {
  const spec = structuredClone(seedSpec);
  (spec.domain as Obj).machine = { type: 'pc-i440fx-7.2' };
  assert.throws(() => qemuArgs(vmi(spec), ctx()), (err: unknown) => err instanceof QemuArgsError && err.path === 'spec.domain.machine.type');
  (spec.domain as Obj).machine = { type: 'pc-q35-7.2' };
  assert.deepEqual(values(qemuArgs(vmi(spec), ctx()), '-machine'), ['pc-q35-7.2']);
});

test('commas in paths are doubled so QEMU reads them as part of the value', () => {
  const args = qemuArgs(vmi(seedSpec), ctx({ runDir: '/d,x', disks: [{ name: 'root', path: '/d,x/root.qcow2', format: 'qcow2' }] }));
  assert.deepEqual(values(args, '-vnc'), ['unix:/d,,x/vnc.sock']);
  assert.ok(values(args, '-drive')[0]?.includes('file=/d,,x/root.qcow2'));
});

test('graphics can be turned off: no VGA, no VNC', () => {
  const spec = structuredClone(seedSpec);
  ((spec.domain as Obj).devices as Obj).autoattachGraphicsDevice = false;
  const args = qemuArgs(vmi(spec), ctx());
  assert.deepEqual(values(args, '-vnc'), []);
  assert.deepEqual(values(args, '-vga'), []);
});

test('secure boot: SMM on the machine and the pflash marked secure', () => {
  const spec = structuredClone(seedSpec);
  (spec.domain as Obj).firmware = { bootloader: { efi: { secureBoot: true } } };
  const args = qemuArgs(vmi(spec), ctx({ ovmf: { code: '/o/CODE.secboot.fd', vars: '/r/VARS.fd', secureBoot: true } }));
  assert.deepEqual(values(args, '-machine'), ['q35,smm=on']);
  assert.deepEqual(values(args, '-global'), ['driver=cfi.pflash01,property=secure,value=on']);
  assert.ok(values(args, '-drive').includes('if=pflash,format=raw,unit=0,readonly=on,file=/o/CODE.secboot.fd'));
});

test('a one-time Hdd override boots the disk first, and the restore steps give the spec order back (cleared first)', () => {
  const s = structuredClone(seedSpec);
  defaultVmiSpec(s, 'seed');
  const annotations = { [BOOT_OVERRIDE_ANNOTATION]: JSON.stringify({ target: 'Hdd', enabled: 'Once', mode: 'UEFI' }) };
  const plan = planVmi({ metadata: { name: 'seed', namespace: 'ns1', uid: 'u1', annotations }, spec: s as VmiSpec });
  assert.deepEqual([plan.disks[0]?.bootOrder, plan.nics[0]?.bootOrder, plan.nics[1]?.bootOrder], [1, 2, undefined]);
  assert.deepEqual(bootRestoreSteps(plan), [
    { path: '/machine/peripheral/disk0', value: -1 },
    { path: '/machine/peripheral/net0', value: -1 },
    { path: '/machine/peripheral/disk0', value: 2 },
    { path: '/machine/peripheral/net0', value: 1 },
  ]);
  assert.deepEqual(bootRestoreSteps(vmi(seedSpec)), [], 'no override, nothing to restore');
});

test('a QEMU that drops to a user gets -runas and a sandbox that lets it drop (elevateprivileges would kill its setgid)', () => {
  const args = qemuArgs(vmi(seedSpec), ctx({ runAs: 'pxevirt-qemu' }));
  assert.deepEqual(values(args, '-runas'), ['pxevirt-qemu']);
  assert.deepEqual(values(args, '-sandbox'), ['on,obsolete=deny,spawn=deny,resourcecontrol=deny']);
  assert.deepEqual(values(qemuArgs(vmi(seedSpec), ctx()), '-runas'), [], 'no user: QEMU stays root, with every deny');
});
