// The preferences of KubeVirt's common-instancetypes bundle as data, shaped like the upstream
// kustomize tree (`preferences/…`, see SOURCE in source.ts; Apache-2.0): each node names its
// parent (`resources:`), the patches it applies in order (`components:` — a shared component by
// name, or its own metadata/requirements inline) and its name (`/metadata/name` replaced, or a
// `nameSuffix`). scripts/gen-common-instancetypes.ts folds the tree into objects.

/** A strategic-merge patch onto a preference: metadata maps and a spec fragment. */
export interface Patch {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: Record<string, unknown>;
}

/** A kustomization directory: its parent, its patches (component names or inline), its name. */
export interface PreferenceNode {
  from?: string;
  patches: Array<string | Patch>;
  name?: string;
  suffix?: string;
  /** A base other nodes build on, not a preference of the bundle by itself. */
  base?: true;
}

const L = 'instancetype.kubevirt.io/';
const spec = (s: Record<string, unknown>): Patch => ({ spec: s });

/** `preferences/components/*`: the building blocks the preferences share. */
export const COMPONENTS: Record<string, Patch> = {
  'cpu-topology-cores': spec({ cpu: { preferredCPUTopology: 'cores' } }),
  'cpu-topology-sockets': spec({ cpu: { preferredCPUTopology: 'sockets' } }),
  'cpu-topology-spread': spec({ cpu: { preferredCPUTopology: 'spread', spreadOptions: { across: 'SocketsCoresThreads' } } }),
  'cpu-topology-spread-4': spec({ cpu: { preferredCPUTopology: 'spread', spreadOptions: { across: 'SocketsCoresThreads', ratio: 4 } } }),
  'disk-dedicatediothread': spec({ devices: { preferredDiskDedicatedIoThread: true } }),
  'diskbus-sata': spec({ devices: { preferredDiskBus: 'sata' } }),
  'diskbus-virtio-blk': spec({ devices: { preferredDiskBus: 'virtio' } }),
  efi: spec({ firmware: { preferredEfi: { secureBoot: false } } }),
  'efi-persisted': spec({ firmware: { preferredEfi: { persistent: true, secureBoot: false } } }),
  hyperv: spec({
    clock: { preferredClockOffset: { utc: {} }, preferredTimer: { hpet: { present: false }, pit: { tickPolicy: 'delay' }, rtc: { tickPolicy: 'catchup' }, hyperv: {} } },
    features: {
      preferredAcpi: {},
      preferredApic: {},
      preferredHyperv: {
        relaxed: {}, vapic: {}, vpindex: {}, spinlocks: { spinlocks: 8191 }, synic: {}, synictimer: { direct: {} },
        tlbflush: {}, frequencies: {}, reenlightenment: {}, ipi: {}, runtime: {}, reset: {},
      },
    },
  }),
  'interface-multiqueue': spec({ devices: { preferredNetworkInterfaceMultiQueue: true } }),
  'interfacemodel-e1000': spec({ devices: { preferredInterfaceModel: 'e1000' } }),
  'interfacemodel-e1000e': spec({ devices: { preferredInterfaceModel: 'e1000e' } }),
  'interfacemodel-rtl8139': spec({ devices: { preferredInterfaceModel: 'rtl8139' } }),
  'interfacemodel-virtio-net': spec({ devices: { preferredInterfaceModel: 'virtio' } }),
  'launch-security': spec({ preferredLaunchSecurity: {} }),
  pcihole64: spec({ annotations: { 'kubevirt.io/disablePCIHole64': 'true' } }),
  rng: spec({ devices: { preferredRng: {} } }),
  secureboot: spec({ features: { preferredSmm: {} }, firmware: { preferredEfi: { secureBoot: true } } }),
  'tablet-usb': spec({ devices: { preferredAutoattachInputDevice: true } }),
  'tablet-virtio': spec({ devices: { preferredAutoattachInputDevice: true, preferredInputBus: 'virtio', preferredInputType: 'tablet' } }),
  'termination-grace-period': spec({ preferredTerminationGracePeriodSeconds: 3600 }),
  tpm: spec({ devices: { preferredTPM: { persistent: true } } }),
  'videotype-virtio': spec({ devices: { preferredVideoType: 'virtio' } }),
  'virtio-transitional': spec({ devices: { preferredUseVirtioTransitional: true } }),
  ...Object.fromEntries(
    (['amd64', 'arm64', 's390x'] as const).flatMap((a) => [
      [`preferred-architecture/${a}`, { labels: { [`${L}preferred-architecture`]: a }, spec: { preferredArchitecture: a } }],
      [`required-architecture/${a}`, { labels: { [`${L}required-architecture`]: a }, spec: { requirements: { architecture: a } } }],
    ]),
  ),
};

/** A node's own `metadata` component: tags, icon, display name, architecture label. */
function meta(m: { tags?: string; icon?: string; display?: string; arch?: string }): Patch {
  const annotations: Record<string, string> = {};
  if (m.tags) annotations.tags = `hidden,kubevirt,${m.tags}`;
  if (m.icon) annotations.iconClass = `icon-${m.icon}`;
  if (m.display) annotations['openshift.io/display-name'] = m.display;
  return { annotations, ...(m.arch ? { labels: { [`${L}arch`]: m.arch } } : {}) };
}

/** A node's own `requirements` component: minimum vCPUs and memory, as labels and spec. */
const req = (cpu: number, memory: string): Patch => ({
  labels: { [`${L}required-cpu`]: String(cpu), [`${L}required-memory`]: memory },
  spec: { requirements: { cpu: { guest: cpu }, memory: { guest: memory } } },
});

/** The metadata a base's os-type component sets (linux in `base`, overridden by legacy and windows). */
const osType = (os: string): Patch => ({ labels: { [`${L}os-type`]: os }, spec: { annotations: { 'vm.kubevirt.io/os': os } } });

const ARCHES = { amd64: '', arm64: '.arm64', s390x: '.s390x' } as const;
const arch = (a: keyof typeof ARCHES): string[] => [`preferred-architecture/${a}`, `required-architecture/${a}`];

/** Simple leaf preferences over `linux`/`linux-efi`: [dir, name, parent, tag, icon, display, cpu, memory]. */
const LEAVES: Array<[string, string, string, string, string, string, number, string]> = [
  ['alpine', 'alpine', 'linux', 'alpine', 'alpine', 'Alpine', 1, '512Mi'],
  ['cirros', 'cirros', 'linux', 'cirros', 'cirros', 'Cirros', 1, '256Mi'],
  ['debian', 'debian', 'linux-efi', 'debian', 'debian', 'Debian', 1, '512Mi'],
  ['ubuntu', 'ubuntu', 'linux', 'ubuntu', 'ubuntu', 'Ubuntu', 1, '2Gi'],
  ['sles', 'sles', 'linux', 'sles', 'sles', 'SUSE Linux Enterprise Server', 1, '2Gi'],
  ['oraclelinux', 'oraclelinux', 'linux-efi', 'oraclelinux', 'oracle', 'Oracle Linux', 2, '4Gi'],
  ['opensuse/leap', 'opensuse.leap', 'linux', 'opensuse.leap', 'opensuse-leap', 'OpenSUSE Leap', 1, '2Gi'],
  ['opensuse/tumbleweed', 'opensuse.tumbleweed', 'linux', 'opensuse.tumbleweed', 'opensuse-tumbleweed', 'OpenSUSE Tumbleweed', 1, '2Gi'],
];

/** Windows versions: [dir, display, cpu, memory, extra components, has a `_virtio` variant]. */
const WINDOWS: Array<[string, string, number, string, string[], boolean]> = [
  ['2k3', 'Microsoft Windows Server 2003', 1, '256Mi', ['pcihole64', 'interfacemodel-rtl8139'], false],
  ['2k8', 'Microsoft Windows Server 2008/2008 R2', 1, '512Mi', ['interfacemodel-e1000'], true],
  ['2k12', 'Microsoft Windows Server 2012/2012 R2', 1, '512Mi', [], true],
  ['2k16', 'Microsoft Windows Server 2016', 1, '2Gi', ['secureboot'], true],
  ['2k19', 'Microsoft Windows Server 2019', 1, '2Gi', ['secureboot'], true],
  ['2k22', 'Microsoft Windows Server 2022', 1, '2Gi', ['efi-persisted', 'tpm', 'secureboot'], true],
  ['2k25', 'Microsoft Windows Server 2025', 1, '2Gi', ['efi-persisted', 'tpm', 'secureboot'], true],
  ['7', 'Microsoft Windows 7', 1, '2Gi', [], true],
  ['10', 'Microsoft Windows 10', 1, '2Gi', ['cpu-topology-cores', 'secureboot'], true],
  ['11', 'Microsoft Windows 11', 2, '4Gi', ['cpu-topology-cores', 'efi-persisted', 'tpm', 'secureboot'], true],
  ['xp', 'Microsoft Windows XP', 1, '128Mi', ['pcihole64'], false],
];
const VIRTIO = ['diskbus-virtio-blk', 'interfacemodel-virtio-net', 'tablet-virtio', 'videotype-virtio'];

const RHEL_ARCH_DISPLAY = { amd64: '(amd64)', arm64: '(arm64)', s390x: '(s390x)' } as const;

/** RHEL 9/10 per architecture, and its IBM Secure Execution variant on s390x. */
function rhelArches(version: 9 | 10): Record<string, PreferenceNode> {
  const nodes: Record<string, PreferenceNode> = {};
  for (const a of Object.keys(ARCHES) as Array<keyof typeof ARCHES>) {
    const extra = a === 'amd64' ? (version === 10 ? ['efi', 'secureboot'] : ['secureboot']) : a === 's390x' && version === 9 ? ['rng'] : [];
    nodes[`rhel/${version}/${a}`] = {
      from: 'rhel/base',
      suffix: `.${version}${ARCHES[a]}`,
      patches: [meta({ display: `Red Hat Enterprise Linux ${version} ${RHEL_ARCH_DISPLAY[a]}`, arch: a }), req(1, '1.5Gi'), ...arch(a), 'disk-dedicatediothread', ...extra],
    };
  }
  nodes[`rhel/${version}/s390x.secex`] = { from: `rhel/${version}/s390x`, suffix: '.secex', patches: [meta({ display: `Red Hat Enterprise Linux ${version} (IBM Secure Execution)`, arch: 's390x' }), 'launch-security'] };
  return nodes;
}

const DPDK = ['cpu-topology-spread-4', 'interface-multiqueue'];

/** Every node of the tree, keyed by its directory under `preferences/`. */
export const PREFERENCE_TREE: Record<string, PreferenceNode> = {
  base: {
    base: true,
    patches: [
      {
        labels: { [`${L}vendor`]: 'kubevirt.io' },
        annotations: {
          'openshift.io/provider-display-name': 'KubeVirt',
          // Upstream writes these two as `|` block scalars holding a quoted URL: the published
          // values carry the quotes and a trailing newline, and so do ours.
          'openshift.io/documentation-url': '"https://github.com/kubevirt/common-instancetypes"\n',
          'openshift.io/support-url': '"https://github.com/kubevirt/common-instancetypes/issues"\n',
        },
      },
      osType('linux'),
    ],
  },
  linux: { from: 'base', name: 'linux', patches: [meta({ tags: 'linux', icon: 'linux', display: 'Linux Guest' }), 'diskbus-virtio-blk', 'interfacemodel-virtio-net', 'rng'] },
  'linux-efi': { from: 'linux', name: 'linux.efi', patches: [meta({ tags: 'linux-efi', icon: 'linux', display: 'Linux EFI Guest' }), 'efi'] },
  'linux-virtio-transitional': {
    from: 'linux',
    name: 'linux.virtiotransitional',
    patches: [meta({ tags: 'linux-virtio-transitional', icon: 'linux', display: 'Linux Virtio Transitional Guest' }), 'virtio-transitional'],
  },
  legacy: { from: 'base', name: 'legacy', patches: [meta({ tags: 'legacy', icon: 'other', display: 'Legacy Guest' }), osType('legacy'), 'interfacemodel-e1000', 'diskbus-sata'] },
  ...Object.fromEntries(LEAVES.map(([dir, name, from, tags, icon, display, cpu, memory]) => [dir, { from, name, patches: [meta({ tags, icon, display }), req(cpu, memory)] }])),

  ...Object.fromEntries(
    (Object.keys(ARCHES) as Array<keyof typeof ARCHES>).map((a) => [
      `fedora/${a}`,
      { from: 'linux', name: `fedora${ARCHES[a]}`, patches: [meta({ tags: 'fedora', icon: 'fedora', display: `Fedora (${a})`, arch: a }), req(1, '2Gi'), ...arch(a), ...(a === 'amd64' ? ['secureboot'] : [])] },
    ]),
  ),
  'fedora/s390x.secex': { from: 'fedora/s390x', suffix: '.secex', patches: [meta({ tags: 'fedora', icon: 'fedora', display: 'Fedora (IBM Secure Execution)', arch: 's390x' }), 'launch-security'] },

  'centos/base': { base: true, from: 'linux', name: 'centos', patches: [meta({ tags: 'linux,centos-stream', icon: 'centos' })] },
  'centos/9_stream': { from: 'centos/base', suffix: '.stream9', patches: [meta({ display: 'CentOS Stream 9' }), req(1, '1.5Gi'), 'disk-dedicatediothread'] },
  'centos/9_stream_desktop': { from: 'centos/9_stream', suffix: '.desktop', patches: ['tablet-virtio'] },
  'centos/9_stream_dpdk': { from: 'centos/9_stream', suffix: '.dpdk', patches: [meta({ tags: 'linux,centos-stream,dpdk' }), req(8, '1.5Gi'), ...DPDK] },
  'centos/10_stream': { from: 'centos/base', suffix: '.stream10', patches: [meta({ display: 'CentOS Stream 10' }), req(1, '1.5Gi'), 'disk-dedicatediothread'] },
  'centos/10_stream_desktop': { from: 'centos/10_stream', suffix: '.desktop', patches: ['tablet-virtio'] },

  'rhel/base': { base: true, from: 'linux', name: 'rhel', patches: [meta({ tags: 'linux,rhel', icon: 'rhel' })] },
  'rhel/7': { from: 'rhel/base', suffix: '.7', patches: [meta({ display: 'Red Hat Enterprise Linux 7' }), req(1, '1Gi')] },
  'rhel/7_desktop': { from: 'rhel/7', suffix: '.desktop', patches: ['tablet-virtio'] },
  'rhel/8': { from: 'rhel/base', suffix: '.8', patches: [meta({ display: 'Red Hat Enterprise Linux 8' }), req(1, '1.5Gi')] },
  'rhel/8_desktop': { from: 'rhel/8', suffix: '.desktop', patches: ['tablet-virtio'] },
  'rhel/8_dpdk': { from: 'rhel/8', suffix: '.dpdk', patches: [meta({ tags: 'linux,rhel,dpdk' }), req(8, '1.5Gi'), ...DPDK] },
  ...rhelArches(9),
  'rhel/9_desktop': { from: 'rhel/9/amd64', suffix: '.desktop', patches: [meta({ display: 'Red Hat Enterprise Linux 9 Desktop (amd64)' }), 'tablet-virtio'] },
  'rhel/9_dpdk': { from: 'rhel/9/amd64', suffix: '.dpdk', patches: [meta({ tags: 'linux,rhel,dpdk', display: 'Red Hat Enterprise Linux 9 DPDK (amd64)' }), req(8, '1.5Gi'), ...DPDK] },
  'rhel/9_realtime': {
    from: 'rhel/9/amd64',
    suffix: '.realtime',
    patches: [
      meta({ tags: 'linux,rhel,realtime', display: 'Red Hat Enterprise Linux 9 Realtime (amd64)' }),
      spec({ features: { preferredSmm: {} }, devices: { preferredAutoattachGraphicsDevice: false, preferredAutoattachMemBalloon: false, preferredAutoattachSerialConsole: true } }),
      req(4, '4Gi'),
      'cpu-topology-spread',
      'interface-multiqueue',
    ],
  },
  ...rhelArches(10),

  'windows/base': {
    base: true,
    from: 'base',
    name: 'windows',
    patches: [
      meta({ tags: 'windows', icon: 'windows' }),
      osType('windows'),
      'hyperv',
      'cpu-topology-sockets',
      'diskbus-sata',
      'interfacemodel-e1000e',
      'tablet-usb',
      'termination-grace-period',
    ],
  },
  ...Object.fromEntries(
    WINDOWS.flatMap(([v, display, cpu, memory, extra, virtio]) => [
      [`windows/${v}`, { from: 'windows/base', suffix: `.${v}`, patches: [meta({ display }), req(cpu, memory), ...extra] }],
      ...(virtio ? [[`windows/${v}_virtio`, { from: `windows/${v}`, suffix: '.virtio', patches: [meta({ display: `${display} (virtio)` }), ...VIRTIO] }]] : []),
    ]),
  ),
};
