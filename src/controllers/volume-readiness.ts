// Whether a guest's claims are ready, pure: a VM starts only after its DataVolumes succeeded
// (KubeVirt's VM printableStatus Provisioning, DataVolumeError when one failed), and a VMI's
// persistentVolumeClaim / dataVolume volumes must be Bound (and imported) before its start.

/** What the gate needs to know of a DataVolume or a claim. */
export interface ClaimState {
  /** DataVolume status.phase, or PVC status.phase. */
  phase?: string;
}

export interface VmVolumeGate {
  ready: boolean;
  /** The VM's printableStatus while not ready. */
  printableStatus?: 'Provisioning' | 'DataVolumeError';
}

/** The gate of a VM's dataVolumeTemplates (by name) over the DataVolumes found. */
export function vmDataVolumeGate(templateNames: readonly string[], dataVolume: (name: string) => ClaimState | undefined): VmVolumeGate {
  let ready = true;
  for (const name of templateNames) {
    const phase = dataVolume(name)?.phase;
    if (phase === 'Failed') return { ready: false, printableStatus: 'DataVolumeError' };
    if (phase !== 'Succeeded') ready = false;
  }
  return ready ? { ready } : { ready, printableStatus: 'Provisioning' };
}

export interface VolumeRef {
  name: string;
  persistentVolumeClaim?: { claimName?: string } | null;
  dataVolume?: { name?: string } | null;
}

/**
 * Why a VMI's claims are not ready to start it (undefined when they are): a dataVolume volume
 * needs its DataVolume Succeeded (or, with no DataVolume, a Bound claim of that name); a
 * persistentVolumeClaim volume needs a Bound claim whose DataVolume, if any, succeeded.
 */
export function claimsNotReady(volumes: readonly VolumeRef[], lookup: { pvc(name: string): ClaimState | undefined; dataVolume(name: string): ClaimState | undefined }): string | undefined {
  for (const v of volumes) {
    const claim = v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name;
    if (claim === undefined) continue;
    const dv = lookup.dataVolume(claim);
    if (dv && dv.phase !== 'Succeeded') return `volume ${v.name}: DataVolume ${claim} is ${dv.phase ?? 'Pending'}, waiting for it to succeed`;
    const pvc = lookup.pvc(claim);
    if (!pvc) return `volume ${v.name}: PersistentVolumeClaim ${claim} not found`;
    if (pvc.phase !== 'Bound') return `volume ${v.name}: PersistentVolumeClaim ${claim} is ${pvc.phase ?? 'Pending'}, waiting for it to be Bound`;
  }
  return undefined;
}
