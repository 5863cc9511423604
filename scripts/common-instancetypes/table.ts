// The common-instancetypes bundle as a table: series × sizes and preferences × components.
// Transcribed from the published definitions of github.com/kubevirt/common-instancetypes
// (kustomize bases `instancetypes/{u,o,cx,m}/1` and `preferences/{base,linux,…}`, at commit
// 7c1e305b6d5ac7d80c45d993028dc22d257877c9, v1.6.0-90, August 2026; Apache-2.0). Only this
// table is ours: scripts/gen-common-instancetypes.ts turns it into manifests/common-instancetypes.yaml.

export const SOURCE = { repository: 'https://github.com/kubevirt/common-instancetypes', commit: '7c1e305b6d5ac7d80c45d993028dc22d257877c9', describe: 'v1.6.0-90-g7c1e305b' } as const;

export interface Size {
  /** Size name: `nano`, `small`, `2xlarge`… */
  size: string;
  vcpus: number;
  /** Guest memory in GiB (0.5 = 512Mi). */
  memoryGi: number;
}

export interface Series {
  /** Name prefix: `u1`. */
  prefix: string;
  displayName: string;
  className: string;
  icon: string;
  description: string;
  sizes: Size[];
  /** Hugepage sizes, each a variant of every size (`2Mi` plain, `1Gi` with the `1gi` suffix). */
  hugepages?: Array<'2Mi' | '1Gi'>;
  /** cx: maxSockets = vCPUs (no hotplug headroom). */
  maxSocketsIsGuest?: boolean;
  /** Extra labels of the series and the spec fields every size shares. */
  labels?: Record<string, string>;
  spec?: Record<string, unknown>;
}

// KubeVirt's formula: memory = vCPUs × the series' GiB per vCPU, for the standard sizes.
const STANDARD: Array<[string, number]> = [['medium', 1], ['large', 2], ['xlarge', 4], ['2xlarge', 8], ['4xlarge', 16], ['8xlarge', 32]];
const perVcpu = (gib: number, names: string[]): Size[] => STANDARD.filter(([s]) => names.includes(s)).map(([size, vcpus]) => ({ size, vcpus, memoryGi: vcpus * gib }));
const ALL = STANDARD.map(([s]) => s);
const SMALL: Size[] = [{ size: 'nano', vcpus: 1, memoryGi: 0.5 }, { size: 'micro', vcpus: 1, memoryGi: 1 }, { size: 'small', vcpus: 1, memoryGi: 2 }];

export const SERIES: Series[] = [
  {
    prefix: 'u1',
    displayName: 'General Purpose',
    className: 'general.purpose',
    icon: 'pficon-server-group',
    description: 'The U Series is quite neutral and provides resources for\ngeneral purpose applications.\n\n*U* is the abbreviation for "Universal", hinting at the universal\nattitude towards workloads.\n\nVMs of instance types will share physical CPU cores on a\ntime-slice basis with other VMs.',
    sizes: [...SMALL, ...perVcpu(4, ['medium']), { size: '2xmedium', vcpus: 2, memoryGi: 4 }, ...perVcpu(4, ALL.filter((s) => s !== 'medium'))],
  },
  {
    prefix: 'o1',
    displayName: 'Overcommitted',
    className: 'overcommitted',
    icon: 'pficon-virtual-machine',
    description: 'The O Series is based on the U Series, with the only difference\nbeing that memory is overcommitted.\n\n*O* is the abbreviation for "Overcommitted".',
    sizes: [...SMALL, ...perVcpu(4, ALL)],
    spec: { memory: { overcommitPercent: 50 } },
  },
  {
    prefix: 'cx1',
    displayName: 'Compute Exclusive',
    className: 'compute.exclusive',
    icon: 'pficon-registry',
    description:
      'The CX Series provides exclusive compute resources for compute\nintensive applications.\n\n*CX* is the abbreviation of "Compute Exclusive".\n\nThe exclusive resources are given to the compute threads of the\nVM. In order to ensure this, some additional cores (depending\non the number of disks and NICs) will be requested to offload\nthe IO threading from cores dedicated to the workload.\nIn addition, in this series, the NUMA topology of the used\ncores is provided to the VM.\n\nThe amount of spec.cpu.maxSockets is set to the same as\nguest cpus. This avoids KubeVirt\'s default behavior of\nproviding extra CPUs for hotplugging, which can exceed the\namount of available CPUs on a node and cause the VM to fail.\n\nRequirements for CX series instance types:\n- CPU manager has to be enabled.\n- Huge pages have to be available on the nodes.',
    sizes: perVcpu(2, ALL),
    hugepages: ['2Mi', '1Gi'],
    maxSocketsIsGuest: true,
    labels: { 'instancetype.kubevirt.io/dedicatedCPUPlacement': 'true', 'instancetype.kubevirt.io/isolateEmulatorThread': 'true', 'instancetype.kubevirt.io/numa': 'true' },
    spec: { cpu: { dedicatedCPUPlacement: true, isolateEmulatorThread: true, numa: { guestMappingPassthrough: {} } }, ioThreadsPolicy: 'auto' },
  },
  {
    prefix: 'm1',
    displayName: 'Memory Intensive',
    className: 'memory.intensive',
    icon: 'fa-memory',
    description: 'The M Series provides resources for memory intensive\napplications.\n\n*M* is the abbreviation of "Memory".',
    sizes: perVcpu(8, ALL.filter((s) => s !== 'medium')),
    hugepages: ['2Mi', '1Gi'],
  },
];

/** Preference building blocks: the upstream `preferences/components/*` this bundle uses. */
export const COMPONENTS: Record<string, Record<string, unknown>> = {
  'diskbus-virtio-blk': { devices: { preferredDiskBus: 'virtio' } },
  'diskbus-sata': { devices: { preferredDiskBus: 'sata' } },
  'interfacemodel-virtio-net': { devices: { preferredInterfaceModel: 'virtio' } },
  'interfacemodel-e1000': { devices: { preferredInterfaceModel: 'e1000' } },
  rng: { devices: { preferredRng: {} } },
  efi: { firmware: { preferredEfi: { secureBoot: false } } },
};

export interface Preference {
  name: string;
  displayName: string;
  /** The `tags` annotation's last word and the icon (`icon-<icon>`). */
  tag: string;
  icon: string;
  osType: 'linux' | 'legacy';
  components: string[];
  /** Minimum guest resources (`spec.requirements`). */
  requires?: { cpu: number; memory: string };
}

const LINUX = ['diskbus-virtio-blk', 'interfacemodel-virtio-net', 'rng'];

export const PREFERENCES: Preference[] = [
  { name: 'linux', displayName: 'Linux Guest', tag: 'linux', icon: 'linux', osType: 'linux', components: LINUX },
  { name: 'linux.efi', displayName: 'Linux EFI Guest', tag: 'linux-efi', icon: 'linux', osType: 'linux', components: [...LINUX, 'efi'] },
  { name: 'alpine', displayName: 'Alpine', tag: 'alpine', icon: 'alpine', osType: 'linux', components: LINUX, requires: { cpu: 1, memory: '512Mi' } },
  { name: 'cirros', displayName: 'Cirros', tag: 'cirros', icon: 'cirros', osType: 'linux', components: LINUX, requires: { cpu: 1, memory: '256Mi' } },
  { name: 'debian', displayName: 'Debian', tag: 'debian', icon: 'debian', osType: 'linux', components: [...LINUX, 'efi'], requires: { cpu: 1, memory: '512Mi' } },
  { name: 'ubuntu', displayName: 'Ubuntu', tag: 'ubuntu', icon: 'ubuntu', osType: 'linux', components: LINUX, requires: { cpu: 1, memory: '2Gi' } },
  { name: 'legacy', displayName: 'Legacy Guest', tag: 'legacy', icon: 'other', osType: 'legacy', components: ['interfacemodel-e1000', 'diskbus-sata'] },
];
