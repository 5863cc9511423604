// Schema of VirtualMachine: a VMI template plus how it should run.
import { conditionSchema, objectMetaSchema, objectSchema } from './meta-schema.ts';
import { array, boolean, integer, map, object, oneOf, opaque, string, type Static } from './schema-builders.ts';
import { vmiSpecSchema } from './vmi-schema.ts';

export const RUN_STRATEGIES = ['Always', 'Halted', 'Manual', 'RerunOnFailure', 'Once'] as const;

const matcher = (what: string) =>
  object(
    {
      name: string(`The ${what} to use.`),
      kind: string(`Which ${what} kind; the cluster-wide one when empty.`),
      revisionName: string(`The ControllerRevision holding the copy of the ${what} this VM uses.`),
      inferFromVolume: string(),
      inferFromVolumeFailurePolicy: string(),
    },
    undefined,
    `Which ${what} this VM uses.`,
  );

const typeStatusRef = object({
  name: string(),
  kind: string(),
  controllerRevisionRef: object({ name: string() }),
  inferFromVolume: string(),
  inferFromVolumeFailurePolicy: string(),
});

export const vmSpecSchema = object(
  {
    running: boolean('Deprecated: use runStrategy. Mutually exclusive with it.'),
    runStrategy: oneOf(RUN_STRATEGIES, 'When a VMI should exist for this VM.'),
    template: object({ metadata: objectMetaSchema, spec: vmiSpecSchema }, undefined, 'The VMI to create.'),
    dataVolumeTemplates: array(opaque()),
    instancetype: matcher('instancetype'),
    preference: matcher('preference'),
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
  instancetypeRef: typeStatusRef,
  preferenceRef: typeStatusRef,
});

export const vmSchema = objectSchema({ spec: vmSpecSchema, status: vmStatusSchema }, ['spec'], 'A virtual machine definition (KubeVirt VirtualMachine).');

/** A VirtualMachine's spec as served (its template's spec is a VmiSpec). */
export type VmSpec = Static<typeof vmSpecSchema>;
