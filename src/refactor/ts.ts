/**
 * The refactor stage's one door to the TypeScript compiler (a stage may not import another stage's wrapper).
 * Loaded lazily on first use, so commands that never refactor never pay for it.
 */
import { createRequire } from 'node:module';
import type * as TS from 'typescript';

export type { TS };

let loaded: typeof TS | undefined;

/** The compiler API, loaded on first call. */
export function typescript(): typeof TS {
  loaded ??= createRequire(import.meta.url)('typescript') as typeof TS;
  return loaded;
}

/** True once something has asked for the compiler (lets a test prove the lazy load). */
export function typescriptLoaded(): boolean {
  return loaded !== undefined;
}

export type ScriptLanguage = 'ts' | 'tsx' | 'js' | 'jsx';

/** The language a path is parsed as (by extension; unknown extensions parse as TypeScript). */
export function languageOfPath(path: string): ScriptLanguage {
  const m = /\.([cm]?[jt]sx?)$/i.exec(path);
  const ext = (m?.[1] ?? 'ts').toLowerCase();
  if (ext === 'tsx') return 'tsx';
  if (ext === 'jsx') return 'jsx';
  if (ext.endsWith('js')) return 'js';
  return 'ts';
}

/** True when the file may carry type annotations (the helpers a recipe inserts are typed there). */
export function isTypeScript(path: string): boolean {
  const l = languageOfPath(path);
  return l === 'ts' || l === 'tsx';
}

function scriptKind(t: typeof TS, language: ScriptLanguage): TS.ScriptKind {
  switch (language) {
    case 'ts':
      return t.ScriptKind.TS;
    case 'tsx':
      return t.ScriptKind.TSX;
    case 'jsx':
      return t.ScriptKind.JSX;
    case 'js':
      return t.ScriptKind.JS;
  }
}

/** Parses one file (parent pointers set, no type checker). */
export function parse(path: string, text: string): TS.SourceFile {
  const t = typescript();
  return t.createSourceFile(path, text, t.ScriptTarget.Latest, true, scriptKind(t, languageOfPath(path)));
}

/** Syntax errors the parser recovered from. */
export function syntaxErrors(sf: TS.SourceFile): number {
  return (sf as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics?.length ?? 0;
}
