// The objects the durability test writes: VMI-sized, and derived from the name so the test
// can tell a complete object from a partial one.
import type { NewObject, ResourceKey } from '../../src/store/types.ts';

export const DURABILITY_KEY: ResourceKey = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };

/** The object named `name`, about 3 KB of JSON like a defaulted VMI. */
export function durabilityObject(name: string): NewObject {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: 'default', labels: { 'kubevirt.io/vm': name }, annotations: { note: 'x'.repeat(1500) } },
    spec: {
      domain: {
        devices: {
          disks: [{ name: 'rootdisk', disk: { bus: 'virtio' }, bootOrder: 2 }],
          interfaces: [{ name: 'pxe', bridge: {}, macAddress: '02:00:00:00:00:01', bootOrder: 1 }],
        },
        machine: { type: 'q35' },
        resources: { requests: { memory: '1Gi' } },
        firmware: { uuid: `uuid-of-${name}` },
      },
      networks: [{ name: 'pxe', multus: { networkName: 'pxe-net' } }],
      volumes: [{ name: 'rootdisk', containerDisk: { image: `registry.example/${name}:latest` } }],
    },
  };
}
