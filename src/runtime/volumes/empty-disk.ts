// emptyDisk volumes: a fresh sparse qcow2 of the requested capacity in the VMI's run dir.
import { parseQuantity, quantityValue } from '../../lib/quantity.ts';
import { runTool } from './run-tool.ts';

/** Raised for an emptyDisk capacity that is not a positive quantity. */
export class InvalidCapacityError extends Error {
  constructor(
    readonly volume: string,
    readonly capacity: unknown,
  ) {
    super(`volume ${volume}: emptyDisk.capacity: expected a positive quantity such as 1Gi, found ${JSON.stringify(capacity)}`);
    this.name = 'InvalidCapacityError';
  }
}

/** The capacity in bytes, rounded up to a 512-byte sector (qemu-img needs whole sectors). */
export function capacityBytes(volume: string, capacity: unknown): number {
  const q = parseQuantity(capacity);
  if (q === undefined || q.value <= 0) throw new InvalidCapacityError(volume, capacity);
  return Math.ceil(quantityValue(q) / 512) * 512;
}

/** Creates (replacing) `<path>`, an empty qcow2 of `capacity`. */
export async function createEmptyDisk(volume: string, capacity: unknown, path: string, options: { signal?: AbortSignal } = {}): Promise<{ path: string; bytes: number }> {
  const bytes = capacityBytes(volume, capacity);
  await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', path, String(bytes)], options);
  return { path, bytes };
}
