// Go's text/tabwriter (left-aligned, space padding), which kubectl prints tables and
// `describe` through: cells end at tabs, a column's width is set per block of adjacent lines.

export interface TabwriterOptions {
  /** Minimal cell width, padding included (kubectl tables: 6; describe: 0). */
  minWidth: number;
  /** Spaces added to the widest cell (kubectl tables: 3; describe: 2). */
  padding: number;
}

/** Aligns tab-separated text exactly as Go's tabwriter with these options would. */
export function tabwrite(text: string, options: TabwriterOptions): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];
  const width = (s: string) => [...s].length;

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const line = lines[i] ?? [];
      out.push(line.map((cell, j) => (j < widths.length && j < line.length - 1 ? cell + ' '.repeat(Math.max(0, (widths[j] ?? 0) - width(cell))) : cell)).join(''));
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= (lines[i]?.length ?? 0) - 1) continue;
      writeLines(start, i);
      start = i;
      let w = options.minWidth;
      for (; i < line1; i++) {
        const line = lines[i] ?? [];
        if (column >= line.length - 1) break;
        w = Math.max(w, width(line[column] ?? '') + options.padding);
      }
      widths.push(w);
      format(start, i);
      widths.pop();
      start = i;
      i--; // the outer loop's i++ revisits the line that ended the block
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.join('\n');
}
