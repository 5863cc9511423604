// configMap and secret volumes as KubeVirt attaches them: the object's keys become files in
// the root of an ISO 9660 image labelled with the volume's volumeLabel (cfgdata when unset),
// written into the VMI's run dir with mode 0600 (a Secret's values are in it); the disk's
// bus, serial and type (disk or cdrom) follow the VMI's disk as for any volume.
import { join } from 'node:path';
import type { ConfigVolumeKind } from '../../resources/device-plan.ts';
import type { ConfigVolumeFiles } from '../types.ts';
import { buildIso } from './iso.ts';

/** The controller handed no files for a config volume (it resolves them before every start). */
export class ConfigVolumeDataError extends Error {
  constructor(
    readonly volume: string,
    readonly kind: ConfigVolumeKind,
    readonly objectName: string,
  ) {
    super(`volume ${volume}: expected the keys of ${kind} ${objectName} from the controller, found none`);
    this.name = 'ConfigVolumeDataError';
  }
}

/** Builds the config disk of `volume` in `runDir` from its files; resolves with the ISO's path. */
export async function buildConfigDisk(
  volume: { name: string; kind: ConfigVolumeKind; objectName: string; label: string },
  files: ConfigVolumeFiles | undefined,
  runDir: string,
  options: { signal?: AbortSignal } = {},
): Promise<string> {
  if (files === undefined) throw new ConfigVolumeDataError(volume.name, volume.kind, volume.objectName);
  const base = volume.name.replace(/[^A-Za-z0-9._-]/g, '_');
  return buildIso(files.map((f) => ({ name: f.key, data: f.data })), volume.label, join(runDir, `${base}.config.iso`), options);
}
