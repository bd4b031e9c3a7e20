/**
 * The two text formats of a NAB corpus: its timestamps ("2014-04-10 07:15:00" in data files, with ".000000"
 * in the label files; both naive UTC) and its plain CSV files (header row, no quoting, no embedded commas).
 */
import { FaultlineError } from '../../../core/errors.js';
import type { ErrorCode } from '../../../core/error-codes.js';

const STAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]00:?00)?$/;

/** A NAB timestamp → epoch ms, read as UTC (NAB's timestamps carry no zone); NaN when it is not one. */
export function parseNabTimestamp(text: string): number {
  const m = STAMP.exec(text.trim());
  if (m) {
    const fraction = m[7] ?? '';
    const ms = fraction === '' ? 0 : Math.round(Number(`0.${fraction}`) * 1000);
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) + ms;
  }
  return Date.parse(text);
}

export interface CsvTable {
  header: string[];
  /** one array of cells per data row (the header excluded) */
  rows: string[][];
}

/** Splits a header-first CSV without quoting (the NAB format); blank lines are skipped. */
export function parseCsv(text: string): CsvTable {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const rows: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    rows.push(line.split(','));
  }
  return { header, rows };
}

/** Index of a named column, or a FaultlineError naming the file and the columns it has. */
export function columnIndex(table: CsvTable, name: string, file: string, code: ErrorCode): number {
  const i = table.header.indexOf(name);
  if (i < 0) {
    throw new FaultlineError(code, `${file}: no "${name}" column (the header has: ${table.header.join(', ')})`, { context: { file, column: name } });
  }
  return i;
}

/** A numeric column; an empty or non-numeric cell is an error naming file and line. */
export function numberColumn(table: CsvTable, name: string, file: string, code: ErrorCode): number[] {
  const c = columnIndex(table, name, file, code);
  return table.rows.map((r, i) => {
    const cell = (r[c] ?? '').trim();
    const v = cell === '' ? Number.NaN : Number(cell);
    if (Number.isNaN(v)) {
      throw new FaultlineError(code, `${file}:${i + 2}: "${cell}" in column "${name}" is not a number`, { context: { file, line: i + 2, column: name } });
    }
    return v;
  });
}

/** The timestamp column as epoch ms; a cell that is not a timestamp is an error naming file and line. */
export function timestampColumn(table: CsvTable, name: string, file: string, code: ErrorCode): number[] {
  const c = columnIndex(table, name, file, code);
  return table.rows.map((r, i) => {
    const cell = (r[c] ?? '').trim();
    const t = parseNabTimestamp(cell);
    if (Number.isNaN(t)) {
      throw new FaultlineError(code, `${file}:${i + 2}: "${cell}" is not a timestamp (expected YYYY-MM-DD HH:MM:SS)`, { context: { file, line: i + 2 } });
    }
    return t;
  });
}
