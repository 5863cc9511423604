// Linux interface names as pxevirt accepts them from objects: what the kernel allows
// (1–15 bytes, no `/`, `:`, whitespace, not `.` or `..`), and nothing `ip` could read as a
// keyword or an option if a caller forgot `dev` (pxevirt always passes `dev NAME`; this is
// the second guard).

const KERNEL = /^[A-Za-z0-9_.@-]{1,15}$/;
/** Words iproute2 reads as keywords where an interface name may stand. */
export const IP_KEYWORDS: ReadonlySet<string> = new Set(['dev', 'name', 'up', 'down', 'help', 'link', 'type', 'master', 'nomaster', 'address', 'mtu', 'all', 'any', 'default', 'vlan']);

/** Why `name` is not an acceptable interface name ("expected …, found …"), or undefined. */
export function interfaceNameProblem(name: unknown): string | undefined {
  const shown = JSON.stringify(name) ?? String(name);
  if (typeof name !== 'string' || !KERNEL.test(name) || name === '.' || name === '..') {
    return `expected an interface name of 1 to 15 letters, digits, '_', '.', '@' or '-', found ${shown}`;
  }
  if (name.startsWith('-')) return `expected an interface name not starting with '-' (ip would read an option), found ${shown}`;
  if (IP_KEYWORDS.has(name)) return `expected an interface name that is not an ip keyword (${[...IP_KEYWORDS].join(', ')}), found ${shown}`;
  return undefined;
}
