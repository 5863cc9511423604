// Kernel module load order from modules.dep (the text file depmod writes), so the guest
// builder names only the modules it wants and the dependencies follow from the kernel.

/** A module's name as the kernel sees it: file name without .ko[.xz|.zst|.gz], '-' as '_'. */
export function moduleName(pathOrName: string): string {
  const base = pathOrName.slice(pathOrName.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replaceAll('-', '_');
}

/** Parses modules.dep into module name → { path, deps (paths) }. */
export function parseModulesDep(text: string): Map<string, { path: string; deps: string[] }> {
  const modules = new Map<string, { path: string; deps: string[] }>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    modules.set(moduleName(path), { path, deps });
  }
  return modules;
}

export interface LoadOrder {
  /** Module file paths (as in modules.dep), each after everything it depends on. */
  order: string[];
  /** Wanted names built into the kernel (nothing to load). */
  builtin: string[];
  /** Wanted names neither in modules.dep nor built in. */
  missing: string[];
}

/**
 * Resolves wanted module names to a load order: a depth-first walk of modules.dep, so each
 * module comes after its dependencies. `builtinText` is modules.builtin (paths, one a line).
 */
export function resolveLoadOrder(depText: string, builtinText: string, wanted: readonly string[]): LoadOrder {
  const modules = parseModulesDep(depText);
  const builtins = new Set(builtinText.split('\n').filter(Boolean).map(moduleName));
  const order: string[] = [];
  const seen = new Set<string>();
  const result: LoadOrder = { order, builtin: [], missing: [] };
  const visit = (path: string, chain: string[]) => {
    const name = moduleName(path);
    if (seen.has(name)) return;
    if (chain.includes(name)) throw new Error(`modules.dep has a dependency cycle: ${[...chain, name].join(' → ')}`);
    const entry = modules.get(name);
    // A dependency missing from the index still goes in the list: insmod will say why.
    for (const dep of entry?.deps ?? []) visit(dep, [...chain, name]);
    seen.add(name);
    order.push(entry?.path ?? path);
  };
  for (const want of wanted) {
    const name = moduleName(want);
    const entry = modules.get(name);
    if (entry) visit(entry.path, []);
    else if (builtins.has(name)) result.builtin.push(name);
    else result.missing.push(name);
  }
  return result;
}
