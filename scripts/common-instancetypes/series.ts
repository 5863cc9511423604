// The instancetype series of KubeVirt's common-instancetypes bundle as data: per series its
// metadata and shared spec (upstream `instancetypes/<s>/1/<s>1.yaml`, the patch every size gets)
// and its sizes (upstream `sizes.yaml`) as `size:vCPUs:memory` words. Read from
// github.com/kubevirt/common-instancetypes (see SOURCE in source.ts; Apache-2.0); only this
// description is ours — scripts/gen-common-instancetypes.ts composes the objects from it.

/** One series: `u1`, `cx1`… */
export interface Series {
  prefix: string;
  displayName: string;
  className: string;
  icon: string;
  description: string;
  /** `size:vCPUs:memory` words, one per size. */
  sizes: string;
  /** cx1, m1: every size in a 2Mi-hugepage variant and a `1gi`-suffixed 1Gi variant. */
  hugepageVariants?: boolean;
  /** cx1: spec.cpu.maxSockets = vCPUs (no hotplug headroom). */
  maxSocketsIsGuest?: boolean;
  /** Labels beyond class/icon/version/vendor, and the spec fields every size shares. */
  labels?: Record<string, string>;
  spec?: Record<string, unknown>;
}

const U_SIZES = 'nano:1:512Mi micro:1:1Gi small:1:2Gi medium:1:4Gi 2xmedium:2:4Gi large:2:8Gi xlarge:4:16Gi 2xlarge:8:32Gi 4xlarge:16:64Gi 8xlarge:32:128Gi';
const LARGE = 'large:2:8Gi xlarge:4:16Gi 2xlarge:8:32Gi 4xlarge:16:64Gi 8xlarge:32:128Gi';
const TRUE = 'true';
const DEDICATED = { 'instancetype.kubevirt.io/dedicatedCPUPlacement': TRUE, 'instancetype.kubevirt.io/isolateEmulatorThread': TRUE };
const CRIO_OFF = { 'cpu-load-balancing.crio.io': 'disable', 'cpu-quota.crio.io': 'disable', 'irq-load-balancing.crio.io': 'disable' };
const text = (...lines: string[]): string => lines.join('\n');

export const SERIES: Series[] = [
  {
    prefix: 'cx1',
    displayName: 'Compute Exclusive',
    className: 'compute.exclusive',
    icon: 'pficon-registry',
    description: text(
      'The CX Series provides exclusive compute resources for compute',
      'intensive applications.',
      '',
      '*CX* is the abbreviation of "Compute Exclusive".',
      '',
      'The exclusive resources are given to the compute threads of the',
      'VM. In order to ensure this, some additional cores (depending',
      'on the number of disks and NICs) will be requested to offload',
      'the IO threading from cores dedicated to the workload.',
      'In addition, in this series, the NUMA topology of the used',
      'cores is provided to the VM.',
      '',
      'The amount of spec.cpu.maxSockets is set to the same as',
      "guest cpus. This avoids KubeVirt's default behavior of",
      'providing extra CPUs for hotplugging, which can exceed the',
      'amount of available CPUs on a node and cause the VM to fail.',
      '',
      'Requirements for CX series instance types:',
      '- CPU manager has to be enabled.',
      '- Huge pages have to be available on the nodes.',
    ),
    sizes: 'medium:1:2Gi large:2:4Gi xlarge:4:8Gi 2xlarge:8:16Gi 4xlarge:16:32Gi 8xlarge:32:64Gi',
    hugepageVariants: true,
    maxSocketsIsGuest: true,
    labels: { ...DEDICATED, 'instancetype.kubevirt.io/numa': TRUE },
    spec: { cpu: { dedicatedCPUPlacement: true, isolateEmulatorThread: true, numa: { guestMappingPassthrough: {} } }, ioThreadsPolicy: 'auto' },
  },
  {
    prefix: 'd1',
    displayName: 'Dedicated vCPU',
    className: 'dedicated.vcpu',
    icon: 'pficon-server-group',
    description: text(
      'The D Series is designed for consistent and predictable performance,',
      'providing resources for general purpose applications.',
      '',
      '*D* is the abbreviation for "Dedicated", reflecting the use of',
      'dedicated CPU placement for workloads.',
      '',
      'VMs of this instance type are assigned exclusive physical CPU cores,',
      'avoiding CPU sharing and time-slice contention with other VMs.',
    ),
    sizes: U_SIZES,
    labels: DEDICATED,
    spec: { cpu: { dedicatedCPUPlacement: true, isolateEmulatorThread: true }, ioThreadsPolicy: 'auto' },
  },
  {
    prefix: 'm1',
    displayName: 'Memory Intensive',
    className: 'memory.intensive',
    icon: 'fa-memory',
    description: text('The M Series provides resources for memory intensive', 'applications.', '', '*M* is the abbreviation of "Memory".'),
    sizes: 'large:2:16Gi xlarge:4:32Gi 2xlarge:8:64Gi 4xlarge:16:128Gi 8xlarge:32:256Gi',
    hugepageVariants: true,
  },
  {
    prefix: 'n1',
    displayName: 'Network',
    className: 'network',
    icon: 'pficon-network',
    description: text(
      'The N Series provides resources for network intensive DPDK',
      'applications, like VNFs.',
      '',
      '*N* is the abbreviation for "Network".',
      '',
      'This series of instancetypes requires nodes capable',
      'of running DPDK workloads and being marked with the respective',
      'node-role.kubevirt.io/worker-dpdk label as such.',
    ),
    sizes: 'medium:4:4Gi large:4:8Gi xlarge:8:16Gi 2xlarge:16:32Gi 4xlarge:32:64Gi 8xlarge:64:128Gi',
    labels: { ...DEDICATED, 'instancetype.kubevirt.io/hugepages': '1Gi' },
    spec: { annotations: CRIO_OFF, cpu: { dedicatedCPUPlacement: true, isolateEmulatorThread: true }, memory: { hugepages: { pageSize: '1Gi' } } },
  },
  {
    prefix: 'o1',
    displayName: 'Overcommitted',
    className: 'overcommitted',
    icon: 'pficon-virtual-machine',
    description: text('The O Series is based on the U Series, with the only difference', 'being that memory is overcommitted.', '', '*O* is the abbreviation for "Overcommitted".'),
    sizes: `nano:1:512Mi micro:1:1Gi small:1:2Gi medium:1:4Gi ${LARGE}`,
    spec: { memory: { overcommitPercent: 50 } },
  },
  {
    prefix: 'rt1',
    displayName: 'Realtime',
    className: 'realtime',
    icon: 'pficon-server-group',
    description: text(
      'The RT Series provides resources for realtime applications, like Oslat.',
      '',
      '*RT* is the abbreviation for "realtime".',
      '',
      'This series of instance types requires nodes capable of running',
      'realtime applications.',
    ),
    sizes: `micro:1:1Gi small:1:2Gi medium:1:4Gi ${LARGE}`,
    labels: { ...DEDICATED, 'instancetype.kubevirt.io/numa': TRUE, 'instancetype.kubevirt.io/realtime': TRUE, 'instancetype.kubevirt.io/hugepages': '1Gi' },
    spec: {
      annotations: CRIO_OFF,
      cpu: { dedicatedCPUPlacement: true, isolateEmulatorThread: true, numa: { guestMappingPassthrough: {} }, realtime: {} },
      memory: { hugepages: { pageSize: '1Gi' } },
    },
  },
  {
    prefix: 'u1',
    displayName: 'General Purpose',
    className: 'general.purpose',
    icon: 'pficon-server-group',
    description: text(
      'The U Series is quite neutral and provides resources for',
      'general purpose applications.',
      '',
      '*U* is the abbreviation for "Universal", hinting at the universal',
      'attitude towards workloads.',
      '',
      'VMs of instance types will share physical CPU cores on a',
      'time-slice basis with other VMs.',
    ),
    sizes: U_SIZES,
  },
];
