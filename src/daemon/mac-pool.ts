// Wires the MAC pool (src/network/mac-admission.ts) into the API as its mutating admission
// step: the MACs in use are read from the store's VMs and VMIs, the cursor lives in
// `<data dir>/mac-pool.json`.
import { join } from 'node:path';
import type { Mutator } from '../api/admission.ts';
import { createMacAdmission } from '../network/mac-admission.ts';
import { macCursorFile, MAC_CURSOR_FILE } from '../network/mac-cursor-file.ts';
import { DEFAULT_MAC_RANGE, parseMacRange } from '../network/mac-pool.ts';
import type { ObjectStore } from '../store/types.ts';
import { VM_KEY, VMI_KEY } from '../controllers/controller.ts';

/** The API's mutator for the MAC pool; throws MacRangeError (field macRange) for a bad range. */
export function macPoolMutator(options: { store: ObjectStore; dataDir: string; range?: string | undefined }): Mutator {
  const range = parseMacRange(options.range ?? DEFAULT_MAC_RANGE, 'macRange');
  const admission = createMacAdmission({
    range,
    objects: () => [...options.store.list(VM_KEY).items, ...options.store.list(VMI_KEY).items],
    cursor: macCursorFile(join(options.dataDir, MAC_CURSOR_FILE)),
  });
  return (request) => {
    if (request.kind.group !== 'kubevirt.io') return request.object;
    const r = admission({ kind: request.kind.kind, operation: request.operation, object: request.object, old: request.old, dryRun: request.dryRun });
    return 'object' in r ? r.object : r;
  };
}
