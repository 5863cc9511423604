// The small JSONPath subset printer columns and field selectors use: `.a.b`, `[0]`, `[*]`,
// and `[?(@.type=='Ready')]` filters.

type Step = { key: string } | { index: number } | { all: true } | { filterPath: string[]; equals: string };

const STEP = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\[\*\]|\[\?\(@\.([A-Za-z0-9_.$-]+)\s*==\s*(?:'([^']*)'|"([^"]*)")\)\]/y;

/** Parses `.status.conditions[?(@.type=='Ready')].status`; throws on anything else. */
export function parseJsonPath(path: string): Step[] {
  const text = path.startsWith('{') && path.endsWith('}') ? path.slice(1, -1) : path;
  const steps: Step[] = [];
  STEP.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    STEP.lastIndex = at;
    const m = STEP.exec(text);
    if (!m) throw new Error(`unsupported JSONPath ${JSON.stringify(path)} at offset ${at}`);
    if (m[1] !== undefined) steps.push({ key: m[1] });
    else if (m[2] !== undefined) steps.push({ index: Number(m[2]) });
    else if (m[3] !== undefined) steps.push({ filterPath: m[3].split('.'), equals: m[4] ?? m[5] ?? '' });
    else steps.push({ all: true });
    at = STEP.lastIndex;
  }
  return steps;
}

const child = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;

/** Every value the path selects in `root` (empty when nothing matches). */
export function evaluateJsonPath(root: unknown, path: string): unknown[] {
  let current: unknown[] = [root];
  for (const step of parseJsonPath(path)) {
    const next: unknown[] = [];
    for (const value of current) {
      if ('key' in step) {
        const v = child(value, step.key);
        if (v !== undefined) next.push(v);
      } else if ('index' in step) {
        if (Array.isArray(value) && step.index < value.length) next.push(value[step.index]);
      } else if (Array.isArray(value)) {
        for (const item of value) {
          if (!('filterPath' in step)) next.push(item);
          else {
            const found = step.filterPath.reduce<unknown>((v, k) => child(v, k), item);
            if (found !== undefined && String(found) === step.equals) next.push(item);
          }
        }
      }
    }
    current = next;
  }
  return current;
}
