// `make bench` writes its tables into docs/benchmarks.md between two markers and leaves the rest
// of the page — the hand-written analyses, profiles and older runs beside each figure — alone.
// (Writing the whole page from the templates lost those on every full run.)

export const GENERATED_BEGIN = '<!-- make bench writes from here: replaced on every run -->';
export const GENERATED_END = '<!-- make bench writes up to here -->';

/** The rendered page as a section: its title dropped, its headings one level down. */
function asSection(rendered: string): string {
  const body = rendered.replace(/^# [^\n]*\n/, '').replace(/^(#{2,5}) /gm, '#$1 ');
  return `${GENERATED_BEGIN}\n## Latest \`make bench\` run (generated)\n\n${body.trim()}\n${GENERATED_END}`;
}

/** `existing` with the generated section replaced (or put right after the page's title). */
export function mergeGenerated(existing: string, rendered: string): string {
  const section = asSection(rendered);
  const begin = existing.indexOf(GENERATED_BEGIN);
  const end = existing.indexOf(GENERATED_END);
  if (begin !== -1 && end > begin) return existing.slice(0, begin) + section + existing.slice(end + GENERATED_END.length);
  const title = /^# [^\n]*\n/.exec(existing);
  if (!title) return `# Benchmarks\n\n${section}\n${existing === '' ? '' : `\n${existing}`}`;
  return `${title[0]}\n${section}\n\n${existing.slice(title[0].length).replace(/^\n+/, '')}`;
}
