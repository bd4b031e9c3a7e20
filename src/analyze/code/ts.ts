/**
 * The one module that loads the TypeScript compiler. It is loaded lazily (createRequire on first use), so
 * commands that never analyse code never pay for it. Everything else imports the types through `TS` and
 * gets the runtime module from `typescript()`.
 */
import { createRequire } from 'node:module';
import type * as TS from 'typescript';
import type { SourceLanguage } from '../../core/analysis.js';

export type { TS };

let loaded: typeof TS | undefined;

/** The compiler API, loaded on first call. */
export function typescript(): typeof TS {
  loaded ??= createRequire(import.meta.url)('typescript') as typeof TS;
  return loaded;
}

/** True once something has asked for the compiler (used by a test that proves the lazy load). */
export function typescriptLoaded(): boolean {
  return loaded !== undefined;
}

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

function scriptKind(t: typeof TS, language: SourceLanguage): TS.ScriptKind {
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

export interface ParsedSource {
  ast: TS.SourceFile;
  language: SourceLanguage;
  /** syntax errors the parser recovered from */
  parseErrors: number;
}

/**
 * Parses one file with `ts.createSourceFile` (no Program, no type checker: fast, and it works on broken code).
 * Parent pointers are set, so detectors can walk up from any node.
 */
export function parseSource(path: string, text: string, language: SourceLanguage): ParsedSource {
  const t = typescript();
  const ast = t.createSourceFile(path, text, t.ScriptTarget.Latest, true, scriptKind(t, language));
  const diagnostics = (ast as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics;
  return { ast, language, parseErrors: diagnostics?.length ?? 0 };
}
