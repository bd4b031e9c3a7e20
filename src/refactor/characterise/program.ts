/**
 * A type checker for one file: a TypeScript program rooted at it (its text as given, the files it imports by
 * relative path read from disk, packages left unresolved so a big node_modules is never parsed), strict, with
 * JavaScript checked too (JSDoc `@param` types and default values give JS parameters their types). The
 * standard library's files are parsed once per process and shared.
 */
import { dirname, isAbsolute } from 'node:path';
import { typescript, type TS } from '../ts.js';

const libFiles = new Map<string, TS.SourceFile>();

export interface FileChecker {
  program: TS.Program;
  checker: TS.TypeChecker;
  sf: TS.SourceFile;
}

function options(t: typeof TS): TS.CompilerOptions {
  return {
    allowJs: true,
    checkJs: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    target: t.ScriptTarget.ES2022,
    module: t.ModuleKind.ESNext,
    moduleResolution: t.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    jsx: t.JsxEmit.Preserve,
    lib: ['lib.es2023.d.ts'],
    types: [],
  };
}

/** The checker for `absPath` whose current text is `text` (files it imports come from disk). */
export function checkerFor(absPath: string, text: string): FileChecker {
  const t = typescript();
  if (!isAbsolute(absPath)) throw new Error(`checkerFor needs an absolute path, got ${absPath}`);
  const opts = options(t);
  const host = t.createCompilerHost(opts, true);
  const libDir = dirname(host.getDefaultLibFileName(opts));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (fileName === absPath) return t.createSourceFile(fileName, text, languageVersion, true);
    const lib = fileName.startsWith(libDir);
    if (lib && libFiles.has(fileName)) return libFiles.get(fileName);
    const sf = getSourceFile(fileName, languageVersion, onError, shouldCreate);
    if (lib && sf) libFiles.set(fileName, sf);
    return sf;
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => f === absPath || fileExists(f);
  // relative imports only: a package's types would cost more than they give (its parameters are skipped anyway)
  host.resolveModuleNames = (names, containing) =>
    names.map((n) => (n.startsWith('.') || n.startsWith('/') ? t.resolveModuleName(n, containing, opts, host).resolvedModule : undefined));
  const program = t.createProgram({ rootNames: [absPath], options: opts, host });
  const sf = program.getSourceFile(absPath);
  if (sf === undefined) throw new Error(`TypeScript did not load ${absPath}`);
  return { program, checker: program.getTypeChecker(), sf };
}
