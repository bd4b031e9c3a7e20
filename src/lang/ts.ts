/**
 * The one module that loads the TypeScript compiler, for every stage (analyze and refactor re-export it
 * through their own `ts.ts`). It is loaded lazily (createRequire on first use), so commands that never parse
 * code never pay for it, and there is one loaded instance whichever stage asks first. Everything else imports
 * the types through `TS` and gets the runtime module from `typescript()`.
 */
import { createRequire } from 'node:module';
import type * as TS from 'typescript';
import type { SourceLanguage } from '../core/analysis.js';

export type { TS };
export type { SourceLanguage };

let loaded: typeof TS | undefined;

/** The compiler API, loaded on first call. */
export function typescript(): typeof TS {
  loaded ??= createRequire(import.meta.url)('typescript') as typeof TS;
  return loaded;
}

/** True once something has asked for the compiler (used by the tests that prove the lazy load). */
export function typescriptLoaded(): boolean {
  return loaded !== undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Languages

const LANGUAGES: Record<string, SourceLanguage> = {
  '.ts': 'ts',
  '.tsx': 'tsx',
  '.mts': 'mts',
  '.cts': 'cts',
  '.js': 'js',
  '.jsx': 'jsx',
  '.mjs': 'mjs',
  '.cjs': 'cjs',
};

/** The source language of a path by its extension, or undefined when it is not a source file we parse. */
export function languageOf(path: string): SourceLanguage | undefined {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return undefined;
  return LANGUAGES[path.slice(dot).toLowerCase()];
}

/** The four ways a file is parsed (`.mts`/`.cts` parse as ts, `.mjs`/`.cjs` as js). */
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

/** True when the file may carry type annotations (by extension; unknown extensions count as TypeScript). */
export function isTypeScript(path: string): boolean {
  const l = languageOfPath(path);
  return l === 'ts' || l === 'tsx';
}

/** The compiler's script kind for a language. */
export function scriptKind(language: SourceLanguage): TS.ScriptKind {
  const t = typescript();
  switch (language) {
    case 'ts':
    case 'mts':
    case 'cts':
      return t.ScriptKind.TS;
    case 'tsx':
      return t.ScriptKind.TSX;
    case 'jsx':
      return t.ScriptKind.JSX;
    case 'js':
    case 'mjs':
    case 'cjs':
      return t.ScriptKind.JS;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

/**
 * Parses one file with `ts.createSourceFile` (no Program, no type checker: fast, and it works on broken code).
 * Parent pointers are set, so callers can walk up from any node. The language defaults to the path's
 * (`languageOfPath`).
 */
export function parse(path: string, text: string, language: SourceLanguage = languageOfPath(path)): TS.SourceFile {
  const t = typescript();
  return t.createSourceFile(path, text, t.ScriptTarget.Latest, true, scriptKind(language));
}

/** Syntax errors the parser recovered from. */
export function syntaxErrors(sf: TS.SourceFile): number {
  return (sf as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics?.length ?? 0;
}

export interface ParsedSource {
  ast: TS.SourceFile;
  language: SourceLanguage;
  /** syntax errors the parser recovered from */
  parseErrors: number;
}

/** Parses one file in a known language, with its syntax-error count. */
export function parseSource(path: string, text: string, language: SourceLanguage): ParsedSource {
  const ast = parse(path, text, language);
  return { ast, language, parseErrors: syntaxErrors(ast) };
}
