// Box-free aligned text tables, like Lightning's model summary: columns separated by spaces, a
// dashed rule under the header, numbers right-aligned so their digits line up.

import { formatMetric } from '../util/format.js';

export type Align = 'left' | 'right';
export type Cell = string | number | null | undefined;

export interface TableOptions {
  /** Per column; a column left out is right-aligned when all its cells are numbers, else left. */
  align?: (Align | undefined)[];
  /** Spaces between columns (default 2). */
  gap?: number;
}

// Strings that read as numbers ('1.23M', '91.2%', '1,024', '3.0e-4', 'nan') align like numbers.
const NUMERIC = /^[-+]?(\d[\d,]*(\.\d*)?|\.\d+)(e[-+]?\d+)?\s?(%|[kKMBT]|[KMGTP]i?B|B)?$|^-?(nan|inf)$/;

function text(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  return typeof cell === 'number' ? formatMetric(cell) : cell;
}

function isNumeric(cell: Cell): boolean {
  return typeof cell === 'number' || (typeof cell === 'string' && NUMERIC.test(cell.trim()));
}

/** The table as lines joined by '\n' (no trailing newline, no trailing spaces). */
export function formatTable(headers: string[], rows: Cell[][], opts: TableOptions = {}): string {
  const gap = ' '.repeat(Math.max(1, opts.gap ?? 2));
  const columns = Math.max(headers.length, ...rows.map((r) => r.length));
  const body = rows.map((r) => Array.from({ length: columns }, (_, c) => text(r[c])));
  const head = Array.from({ length: columns }, (_, c) => headers[c] ?? '');
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const align: Align[] = head.map((_, c) => {
    const given = opts.align?.[c];
    if (given !== undefined) return given;
    const cells = rows.map((r) => r[c]).filter((x) => x !== null && x !== undefined && x !== '');
    return cells.length > 0 && cells.every(isNumeric) ? 'right' : 'left';
  });
  const line = (cells: string[]): string =>
    cells.map((s, c) => (align[c] === 'right' ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join(gap).trimEnd();
  const ruleWidth = widths.reduce((a, b) => a + b, 0) + gap.length * Math.max(0, columns - 1);
  return [line(head), '-'.repeat(ruleWidth), ...body.map(line)].join('\n');
}
