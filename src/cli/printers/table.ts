// Prints a server-side Table (meta.k8s.io/v1) like `kubectl get`: upper-case headers,
// columns padded by 3 spaces (at least 6 wide), priority>0 columns only with -o wide.

export interface TableColumn {
  name: string;
  type?: string;
  priority?: number;
}
export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string } };
}
export interface Table {
  kind?: string;
  columnDefinitions?: TableColumn[];
  rows?: TableRow[];
}

export interface TableOptions {
  wide?: boolean;
  /** Adds a NAMESPACE column first (kubectl -A). */
  withNamespace?: boolean;
  noHeaders?: boolean;
  /** Put before every NAME cell (`virtualmachineinstance.kubevirt.io/`) when several types print. */
  namePrefix?: string;
}

/** How Go's `%v` shows a decoded JSON cell; multi-line strings cut at the first line break. */
export function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') {
    const cut = cell.search(/[\n\r\f]/);
    return cut < 0 ? cell : `${cell.slice(0, cut)}...`;
  }
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return JSON.stringify(cell);
}

/** Renders tables, remembering column widths between calls (as kubectl does under -w). */
export class TablePrinter {
  private readonly options: TableOptions;
  private widths: number[] = [];
  private headerDone = false;

  constructor(options: TableOptions = {}) {
    this.options = options;
  }

  /** The rows (and, the first time, the header) as text ending in a newline; '' when nothing to print. */
  print(table: Table): string {
    const columns = table.columnDefinitions ?? [];
    const shown = columns.map((c, i) => ({ c, i })).filter(({ c }) => this.options.wide || !c.priority);
    const nameIndex = columns.findIndex((c) => c.name.toLowerCase() === 'name');
    const lines: string[][] = [];
    if ((table.rows ?? []).length === 0) return '';
    if (!this.headerDone && !this.options.noHeaders) {
      const header = shown.map(({ c }) => c.name.toUpperCase());
      lines.push(this.options.withNamespace ? ['NAMESPACE', ...header] : header);
    }
    for (const row of table.rows ?? []) {
      const cells = shown.map(({ i }) => {
        const text = cellText(row.cells[i]);
        return i === nameIndex && this.options.namePrefix ? `${this.options.namePrefix}${text}` : text;
      });
      lines.push(this.options.withNamespace ? [row.object?.metadata?.namespace ?? '', ...cells] : cells);
    }
    if (lines.length === 0) return '';
    this.headerDone = true;
    const count = Math.max(...lines.map((l) => l.length));
    for (let j = 0; j < count - 1; j++) {
      const widest = Math.max(...lines.map((l) => [...(l[j] ?? '')].length));
      this.widths[j] = Math.max(this.widths[j] ?? 0, 6, widest + 3);
    }
    return lines
      .map((l) => l.map((cell, j) => (j < l.length - 1 ? cell + ' '.repeat(Math.max(0, (this.widths[j] ?? 0) - [...cell].length)) : cell)).join(''))
      .join('\n') + '\n';
  }
}
