/**
 * The layout conventions of a file (line ending, indentation unit, quote, semicolons), read from the file
 * itself, so inserted code looks like its neighbours; and the places where helper code goes.
 */
import type { TextEdit } from './edits.js';
import { typescript, type TS } from './ts.js';

export interface FileStyle {
  eol: '\n' | '\r\n';
  /** one level of indentation: '\t' or N spaces */
  indent: string;
  quote: "'" | '"';
  semicolons: boolean;
}

export function detectStyle(sf: TS.SourceFile): FileStyle {
  const t = typescript();
  const text = sf.text;
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  let tabs = 0;
  let spaces = 0;
  let odd2 = 0;
  for (const m of text.matchAll(/^([ \t]+)\S/gm)) {
    const ws = m[1] as string;
    if (ws.startsWith('\t')) tabs++;
    else {
      spaces++;
      if (ws.length % 4 === 2) odd2++;
    }
  }
  let single = 0;
  let double = 0;
  let withSemi = 0;
  let withoutSemi = 0;
  const visit = (n: TS.Node): void => {
    if (t.isStringLiteral(n)) {
      const q = text[n.getStart(sf)];
      if (q === "'") single++;
      else if (q === '"') double++;
    }
    if (t.isExpressionStatement(n) || t.isVariableStatement(n) || t.isReturnStatement(n) || t.isImportDeclaration(n) || t.isThrowStatement(n)) {
      if (text[n.end - 1] === ';') withSemi++;
      else withoutSemi++;
    }
    t.forEachChild(n, visit);
  };
  visit(sf);
  return {
    eol: crlf > lf ? '\r\n' : '\n',
    indent: tabs > spaces ? '\t' : spaces > 0 && odd2 === 0 && /^ {4}\S/m.test(text) ? '    ' : '  ',
    quote: double > single ? '"' : "'",
    semicolons: withSemi >= withoutSemi,
  };
}

/**
 * Rewrites code written in the canonical layout (2-space indent, single quotes, semicolons, '\n') into the
 * file's style. The canonical code must not hold a quote character inside a string, nor start a line with
 * `(`, `[` or a backtick (so dropping semicolons stays safe).
 */
export function styled(code: string, style: FileStyle, baseIndent = ''): string {
  let lines = code.split('\n').map((line) => {
    const m = /^( *)(.*)$/.exec(line) as RegExpExecArray;
    const depth = Math.floor((m[1] as string).length / 2);
    const body = m[2] as string;
    return body === '' ? '' : baseIndent + style.indent.repeat(depth) + body;
  });
  if (style.quote === '"') lines = lines.map((l) => l.replace(/'/g, '"'));
  if (!style.semicolons) lines = lines.map((l) => (/^\s*for \(/.test(l) ? l : l.replace(/;(\s*(\/\/.*)?)$/, '$1')));
  return lines.join(style.eol);
}

/** The indentation (leading whitespace) of the line that holds `pos`. */
export function indentAt(text: string, pos: number): string {
  const start = text.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? '';
}

/** Offset of the start of the line holding `pos`, and of the end of that line (before its line break). */
export function lineBounds(text: string, pos: number): { start: number; end: number } {
  const start = text.lastIndexOf('\n', pos - 1) + 1;
  let end = text.indexOf('\n', pos);
  if (end < 0) end = text.length;
  if (end > start && text[end - 1] === '\r') end--;
  return { start, end };
}

/** A string literal in the file's quote style (for text without quotes or backslashes of that kind). */
export function quoted(s: string, style: FileStyle): string {
  const q = style.quote;
  return q + s.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), '\\' + q) + q;
}

/** `;` when the file uses semicolons. */
export function semi(style: FileStyle): string {
  return style.semicolons ? ';' : '';
}

function isPrologue(t: typeof TS, s: TS.Statement): boolean {
  if (t.isImportDeclaration(s) || t.isImportEqualsDeclaration(s)) return true;
  if (t.isExpressionStatement(s) && t.isStringLiteral(s.expression)) return true;
  if (t.isVariableStatement(s)) {
    return s.declarationList.declarations.every((d) => {
      let init = d.initializer;
      while (init && t.isPropertyAccessExpression(init)) init = init.expression;
      return init !== undefined && t.isCallExpression(init) && t.isIdentifier(init.expression) && init.expression.text === 'require';
    });
  }
  return false;
}

/**
 * The first offset where module-level helper code can go: after the leading imports/requires/directives,
 * before any other statement (so helpers are initialised before the code that uses them runs).
 * Returns the offset and whether the code goes after a prologue (true) or at the top of the file (false).
 */
export function helperInsertion(sf: TS.SourceFile): { pos: number; afterPrologue: boolean } {
  const t = typescript();
  const text = sf.text;
  let last: TS.Statement | undefined;
  for (const s of sf.statements) {
    if (!isPrologue(t, s)) break;
    last = s;
  }
  if (last !== undefined) {
    const { end } = lineBounds(text, last.end);
    // after the line break that ends the last prologue line (a trailing comment stays on its line)
    const nl = text.indexOf('\n', end);
    return { pos: nl < 0 ? text.length : nl + 1, afterPrologue: true };
  }
  const first = sf.statements[0];
  if (first === undefined) return { pos: text.length, afterPrologue: false };
  // keep comments attached to the first statement (no blank line between) with it; a header comment stays on top
  let pos = first.getStart(sf);
  const ranges = t.getLeadingCommentRanges(text, first.getFullStart()) ?? [];
  for (let i = ranges.length - 1; i >= 0; i--) {
    const r = ranges[i] as TS.CommentRange;
    const gap = text.slice(r.end, pos);
    if (/\n[ \t]*\r?\n/.test(gap)) break;
    pos = r.pos;
  }
  return { pos: lineBounds(text, pos).start, afterPrologue: false };
}

/** The edit that puts a block of module-level code (already styled, no trailing line break) at the helper insertion point. */
export function insertModuleCode(sf: TS.SourceFile, style: FileStyle, code: string): TextEdit {
  const { pos, afterPrologue } = helperInsertion(sf);
  const { eol } = style;
  if (afterPrologue) {
    const text = sf.text;
    if (pos >= text.length && !text.endsWith('\n')) return { start: pos, end: pos, newText: `${eol}${eol}${code}${eol}` };
    // a blank line before the helper, and one after it unless the file already has one there
    const blankAfter = pos >= text.length || /^[ \t]*\r?\n/.test(text.slice(pos));
    return { start: pos, end: pos, newText: `${eol}${code}${eol}${blankAfter ? '' : eol}` };
  }
  return { start: pos, end: pos, newText: `${code}${eol}${eol}` };
}
