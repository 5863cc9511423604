// Where a PXEServer may serve files from, as the node's administrator allows (issue 13): its
// root must resolve (links included) inside <data-dir>/pxe or one of the daemon's `pxeRoots`;
// the iPXE binaries' directory is the daemon's `pxeIpxeDir`, never the spec's. Admission-time
// (a mutating step, so the refusal names spec.root, the allowed roots and the value).
import { realpathSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { MutationDenial, Mutator } from '../api/admission.ts';
import { CauseType, type Cause } from '../resources/causes.ts';

export const DEFAULT_IPXE_DIR = '/usr/lib/ipxe';

export interface PxeRootPolicy {
  dataDir: string;
  /** More allowed roots besides <data-dir>/pxe (the daemon's `pxeRoots`). */
  allowed?: readonly string[];
  /** The daemon's `pxeIpxeDir`. */
  ipxeDir?: string;
  /** realpath, injectable for tests; returns undefined when the path does not exist yet. */
  realpath?: (path: string) => string | undefined;
}

const realpathOrUndefined = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

export const allowedPxeRoots = (policy: PxeRootPolicy): string[] => [join(policy.dataDir, 'pxe'), ...(policy.allowed ?? [])].map((r) => resolve(r));

const inside = (path: string, root: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/** Causes against spec.root and spec.ipxeDir (empty when allowed). */
export function pxeRootCauses(spec: Record<string, unknown>, policy: PxeRootPolicy): Cause[] {
  const causes: Cause[] = [];
  const allowed = allowedPxeRoots(policy);
  const shownAllowed = allowed.join(', ');
  const root = spec.root;
  if (typeof root === 'string' && root !== '') {
    const path = isAbsolute(root) ? resolve(root) : resolve(policy.dataDir, 'pxe', root);
    // Lexically first, then where links really lead (a root that is a link to / is refused).
    const real = (policy.realpath ?? realpathOrUndefined)(path);
    const realAllowed = allowed.map((a) => (policy.realpath ?? realpathOrUndefined)(a) ?? a);
    if (!allowed.some((a) => inside(path, a)) || (real !== undefined && !realAllowed.some((a) => inside(real, a)))) {
      causes.push({
        type: CauseType.Invalid,
        field: 'spec.root',
        message: `expected a directory inside the roots this node allows (${shownAllowed}; add more with the daemon's pxeRoots setting), found ${JSON.stringify(root)}${real !== undefined && real !== path ? ` (a link to ${real})` : ''}`,
      });
    }
  }
  const ipxeDir = policy.ipxeDir ?? DEFAULT_IPXE_DIR;
  if (spec.ipxeDir !== undefined && spec.ipxeDir !== ipxeDir) {
    causes.push({
      type: CauseType.Invalid,
      field: 'spec.ipxeDir',
      message: `ipxeDir is the node's setting (the daemon's pxeIpxeDir), not a spec field: expected it unset or ${JSON.stringify(ipxeDir)}, found ${JSON.stringify(spec.ipxeDir)}`,
    });
  }
  return causes;
}

/** The API's mutating step for PXEServers: refuses roots outside the allowed ones. */
export function pxeRootMutator(policy: PxeRootPolicy): Mutator {
  return (request) => {
    if (request.kind.kind !== 'PXEServer') return request.object;
    const spec = request.object.spec;
    if (typeof spec !== 'object' || spec === null) return request.object;
    const causes = pxeRootCauses(spec as Record<string, unknown>, policy);
    return causes.length ? ({ webhook: 'pxeservers-root.pxe.pxevirt.io', causes } satisfies MutationDenial) : request.object;
  };
}

/** Runs mutators in order; the first denial wins. */
export function chainMutators(...steps: Mutator[]): Mutator {
  return (request) => {
    let object = request.object;
    for (const step of steps) {
      const r = step({ ...request, object });
      if (typeof (r as MutationDenial).webhook === 'string' && Array.isArray((r as MutationDenial).causes)) return r;
      object = r as Record<string, unknown>;
    }
    return object;
  };
}
