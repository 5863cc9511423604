// Three helpers instead of a framework: make an element, format an age, show a condition.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | boolean | undefined | ((event: Event) => void)>;

/** An element with attributes (`on…` functions become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else if (typeof v === 'string') el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

/** Kubernetes-style age: 42s, 5m, 3h, 2d. */
export function age(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Bytes as B, KiB, MiB. */
export function size(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Conditions as badges: green when the condition is good, red when not; message on hover. */
export function conditions(list: unknown): HTMLElement {
  const items = Array.isArray(list) ? (list as Condition[]) : [];
  // Degraded/Failing-style conditions are good when False.
  const good = (c: Condition) => (/degraded|fail|error|progressing/i.test(c.type) ? c.status !== 'True' : c.status === 'True');
  return h('span', { class: 'conds' }, items.map((c) => h('span', { class: `badge ${good(c) ? 'ok' : 'bad'}`, title: [c.reason, c.message].filter(Boolean).join(': ') }, `${c.type}=${c.status}`)));
}

/** A section with a heading. */
export function section(title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h('section', null, h('h2', null, title), ...children);
}
