/** Errors about an input report: `file[:line[:col]] field: problem`, with the same facts in `context`. */
import { FaultlineError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/error-codes.js';

export interface ReportErrorWhere {
  line?: number;
  column?: number;
  /** a JSON path or record name, e.g. `files["src/a.ts"].mutants[3].status` */
  field?: string;
}

export function reportError(code: ErrorCode, file: string, problem: string, where: ReportErrorWhere = {}, cause?: unknown): FaultlineError {
  const pos = where.line === undefined ? '' : where.column === undefined ? `:${where.line}` : `:${where.line}:${where.column}`;
  const field = where.field === undefined ? '' : ` ${where.field}:`;
  const context: Record<string, unknown> = { file };
  if (where.line !== undefined) context.line = where.line;
  if (where.column !== undefined) context.column = where.column;
  if (where.field !== undefined) context.field = where.field;
  return new FaultlineError(code, `${file}${pos}${field} ${problem}`, { context, cause });
}

/** Line and column (1-based) of a character offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * JSON.parse with a located message. V8 names a position ("… in JSON at position 123" or "(line 3 column 5)");
 * both become file:line:col; an empty text and a truncated text get their own words.
 */
export function parseJsonReport(code: ErrorCode, file: string, text: string): unknown {
  if (text.trim() === '') throw reportError(code, file, 'is empty');
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const at = /position (\d+)/.exec(msg);
    const lc = /line (\d+) column (\d+)/.exec(msg);
    const where = lc !== null ? { line: Number(lc[1]), column: Number(lc[2]) } : at !== null ? lineColumnAt(text, Number(at[1])) : {};
    const atEnd = at !== null && Number(at[1]) >= text.trimEnd().length;
    const truncated = /Unexpected end of JSON input/.test(msg) || atEnd ? ' (truncated?)' : '';
    throw reportError(code, file, `is not valid JSON${truncated}: ${msg}`, where, e);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `a.b`, `a["x y"]`, `a[3]` */
export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const dotted = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return parent === '' ? (dotted.startsWith('.') ? key : dotted) : `${parent}${dotted}`;
}
