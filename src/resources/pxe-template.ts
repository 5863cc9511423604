// Per-host templates: an image's cmdline and iPXE script, and files under the root whose name
// ends in `.tmpl`, with Mustache-style `{{name}}` variables. Only plain variables: no sections,
// partials or HTML escaping (the output is kernel arguments, iPXE scripts and kickstarts). Pure.

/** The variables a template may use. */
export const TEMPLATE_VARIABLES = ['mac', 'uuid', 'hostname', 'ip', 'arch', 'image', 'files', 'doneURL'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Partial<Record<TemplateVariable, string>>;

/** The suffix of a file under the root that is rendered per host (`ks.cfg.tmpl` is served as `ks.cfg`). */
export const TEMPLATE_SUFFIX = '.tmpl';

// `{{name}}`, `{{ name }}` and `{{{name}}}` (Mustache's unescaped form; nothing is escaped here anyway).
const TAG = /\{\{\{?\s*([^{}]*?)\s*\}?\}\}/g;

/** The variable names a template uses, in order of first use. */
export function templateVariables(text: string): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(TAG)) seen.add(m[1] ?? '');
  return [...seen];
}

/** The variables of `text` that are not template variables. */
export function unknownVariables(text: string): string[] {
  return templateVariables(text).filter((v) => !(TEMPLATE_VARIABLES as readonly string[]).includes(v));
}

export interface Rendered {
  text: string;
  /** Unknown variables, left in the text as written. */
  unknown: string[];
}

/** Renders `text`: known variables become their value (absent ones the empty string); unknown ones stay as written. */
export function renderTemplate(text: string, values: TemplateValues): Rendered {
  const unknown = new Set<string>();
  const out = text.replace(TAG, (whole, name: string) => {
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      unknown.add(name);
      return whole;
    }
    return values[name as TemplateVariable] ?? '';
  });
  return { text: out, unknown: [...unknown] };
}
