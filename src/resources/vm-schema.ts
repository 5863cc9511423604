// Schema of VirtualMachine: a VMI template plus how it should run.
import { conditionSchema, objectMetaSchema, objectSchema } from './meta-schema.ts';
import { array, boolean, integer, map, object, oneOf, opaque, string, type Static } from './schema-builders.ts';
import { vmiSpecSchema } from './vmi-schema.ts';

export const RUN_STRATEGIES = ['Always', 'Halted', 'Manual', 'RerunOnFailure', 'Once'] as const;

export const vmSpecSchema = object(
  {
    running: boolean('Deprecated: use runStrategy. Mutually exclusive with it.'),
    runStrategy: oneOf(RUN_STRATEGIES, 'When a VMI should exist for this VM.'),
    template: object({ metadata: objectMetaSchema, spec: vmiSpecSchema }, undefined, 'The VMI to create.'),
    dataVolumeTemplates: array(opaque()),
    instancetype: opaque(),
    preference: opaque(),
    updateVolumesStrategy: string(),
  },
  ['template'],
);

export const vmStatusSchema = object({
  printableStatus: string('Stopped, Provisioning, Starting, Running, Paused, Stopping, Terminating, CrashLoopBackOff, Unknown, ...'),
  ready: boolean(),
  created: boolean(),
  runStrategy: string(),
  conditions: array(conditionSchema),
  observedGeneration: integer(undefined, 'int64'),
  desiredGeneration: integer(undefined, 'int64'),
  stateChangeRequests: array(object({ action: string(), data: map(string()), uid: string() }, ['action'])),
  startFailure: opaque(),
  volumeSnapshotStatuses: array(opaque()),
});

export const vmSchema = objectSchema({ spec: vmSpecSchema, status: vmStatusSchema }, ['spec'], 'A virtual machine definition (KubeVirt VirtualMachine).');

/** A VirtualMachine's spec as served (its template's spec is a VmiSpec). */
export type VmSpec = Static<typeof vmSpecSchema>;
