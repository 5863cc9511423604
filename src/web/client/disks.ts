// What the UI shows of a VM's or VMI's disks, pure (no DOM, tested in src/web/disks.test.ts):
// per disk its device, its volume's source, the claim or DataVolume behind it with its size
// and phase, and a DataVolume's import progress as CDI reports it ("45.2%").

/** An API object as far as this file reads it (the page's Obj fits; no DOM types needed here). */
export interface Obj {
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const field = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object') : []);

export interface DiskRow {
  name: string;
  /** `disk virtio`, `cdrom sata`, `boot 1` appended when it has a boot order. */
  device: string;
  /** The volume's type as KubeVirt names it (`dataVolume`, `persistentVolumeClaim`, `containerDisk`…), or `none`. */
  type: string;
  /** What backs it: the claim/DataVolume name, an image, a ConfigMap or Secret name. */
  source: string;
  /** Requested or provisioned size (`2Gi`), when known. */
  size: string;
  /** The DataVolume's or claim's phase, when it has one. */
  phase: string;
  /** A DataVolume's progress in percent (0–100), when it reports one. */
  progress?: number;
  /** The DataVolume's Running/Ready condition message when it failed. */
  message?: string;
}

/** A DataVolume's status.progress ("45.2%", "N/A") as a number, or undefined. */
export function progressPercent(dv: Obj | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(str(field(dv, 'status', 'progress')));
  return m ? Math.min(100, Number(m[1])) : undefined;
}

/** The size a DataVolume asks for (spec.storage or spec.pvc), else its claim's. */
export function requestedSize(dv: Obj | undefined, pvc: Obj | undefined): string {
  return (
    str(field(pvc, 'status', 'capacity', 'storage')) ||
    str(field(dv, 'spec', 'storage', 'resources', 'requests', 'storage')) ||
    str(field(dv, 'spec', 'pvc', 'resources', 'requests', 'storage')) ||
    str(field(pvc, 'spec', 'resources', 'requests', 'storage'))
  );
}

/** The message of a failed DataVolume (its Running condition, else Ready). */
export function failureMessage(dv: Obj | undefined): string | undefined {
  if (str(field(dv, 'status', 'phase')) !== 'Failed') return undefined;
  const conds = list(field(dv, 'status', 'conditions'));
  const c = conds.find((x) => x.type === 'Running' && str(x.message)) ?? conds.find((x) => str(x.message));
  return c ? str(c.message) : undefined;
}

const SOURCES: Record<string, (v: Record<string, unknown>) => string> = {
  dataVolume: (v) => str(v.name),
  persistentVolumeClaim: (v) => str(v.claimName),
  containerDisk: (v) => str(v.image),
  emptyDisk: () => '',
  cloudInitNoCloud: () => '',
  configMap: (v) => str(v.name),
  secret: (v) => str(v.secretName),
};

/**
 * The rows for a VMI spec (a VMI's spec, or a VM's spec.template.spec); `dataVolume(name)` and
 * `pvc(name)` find objects of the same namespace.
 */
export function diskRows(spec: unknown, lookup: { dataVolume(name: string): Obj | undefined; pvc(name: string): Obj | undefined }): DiskRow[] {
  const volumes = list(field(spec, 'volumes'));
  return list(field(spec, 'domain', 'devices', 'disks')).map((disk) => {
    const name = str(disk.name);
    const kind = ['disk', 'cdrom', 'lun'].find((k) => disk[k] !== undefined) ?? 'disk';
    const bus = str(field(disk, kind, 'bus')) || 'sata';
    const device = `${kind} ${bus}${typeof disk.bootOrder === 'number' ? `, boot ${disk.bootOrder}` : ''}`;
    const volume = volumes.find((v) => v.name === name);
    const type = volume ? Object.keys(volume).find((k) => k !== 'name') ?? 'none' : 'none';
    const inner = (volume?.[type] ?? {}) as Record<string, unknown>;
    const source = SOURCES[type]?.(inner) ?? '';
    const row: DiskRow = { name, device, type, source, size: '', phase: '' };
    if (type === 'emptyDisk') row.size = str(inner.capacity);
    if (type === 'dataVolume' || type === 'persistentVolumeClaim') {
      const dv = lookup.dataVolume(source);
      const pvc = lookup.pvc(source);
      row.size = requestedSize(dv, pvc);
      row.phase = str(field(dv, 'status', 'phase')) || str(field(pvc, 'status', 'phase')) || (dv || pvc ? 'Pending' : 'not found');
      const progress = progressPercent(dv);
      if (progress !== undefined) row.progress = progress;
      const message = failureMessage(dv);
      if (message !== undefined) row.message = message;
    }
    return row;
  });
}
