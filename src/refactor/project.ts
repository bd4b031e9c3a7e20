/**
 * A TypeScript language service over the files of a project as the engine gave them (a recipe's
 * `RecipeProject`): nothing is read from disk but the standard library, relative imports resolve between the
 * given files (`./store.js` finds `store.ts`), packages stay unresolved. It answers "who calls this?" with the
 * type checker's references, so a method called through a variable, a field or a parameter of its class is
 * found, in TypeScript and in JavaScript files alike.
 */
import type { RecipeFile } from './recipe.js';
import { typescript, type TS } from './ts.js';

const ROOT = '/__faultline_project__/';

export interface ProjectService {
  ls: TS.LanguageService;
  /** the service's name of a repository-relative path */
  fileName(path: string): string;
  /** the repository-relative path of a service file name */
  pathOf(fileName: string): string;
  sourceFile(path: string): TS.SourceFile | undefined;
}

let registry: TS.DocumentRegistry | undefined;

/** A version string that changes with the text (FNV-1a of it, and its length). */
function textVersion(text: string | undefined): string {
  if (text === undefined) return '0';
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `${text.length}:${(h >>> 0).toString(36)}`;
}

export function projectService(files: readonly RecipeFile[]): ProjectService {
  const t = typescript();
  registry ??= t.createDocumentRegistry();
  const texts = new Map(files.map((f) => [`${ROOT}${f.path.replace(/^\/+/, '')}`, f.text]));
  const options: TS.CompilerOptions = {
    target: t.ScriptTarget.ES2022,
    module: t.ModuleKind.ESNext,
    moduleResolution: t.ModuleResolutionKind.Bundler,
    allowJs: true,
    checkJs: false,
    strict: true,
    noEmit: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    jsx: t.JsxEmit.Preserve,
  };
  const dirs = new Set<string>();
  for (const f of texts.keys()) for (let d = f.slice(0, f.lastIndexOf('/')); d.length >= ROOT.length - 1; d = d.slice(0, d.lastIndexOf('/'))) dirs.add(d);
  const host: TS.LanguageServiceHost = {
    getScriptFileNames: () => [...texts.keys()],
    // the registry is shared between services: a file's version must change with its text, or an older text is reused
    getScriptVersion: (f) => textVersion(texts.get(f)),
    getScriptSnapshot: (f) => {
      const text = texts.get(f) ?? (f.startsWith(ROOT) ? undefined : t.sys.readFile(f));
      return text === undefined ? undefined : t.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => ROOT,
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => t.getDefaultLibFilePath(o),
    fileExists: (f) => texts.has(f) || (!f.startsWith(ROOT) && t.sys.fileExists(f)),
    readFile: (f) => texts.get(f) ?? (f.startsWith(ROOT) ? undefined : t.sys.readFile(f)),
    directoryExists: (d) => dirs.has(d.replace(/\/$/, '')) || (!d.startsWith(ROOT) && t.sys.directoryExists(d)),
    getDirectories: () => [],
  };
  const ls = t.createLanguageService(host, registry);
  return {
    ls,
    fileName: (path) => `${ROOT}${path.replace(/^\/+/, '')}`,
    pathOf: (fileName) => fileName.slice(ROOT.length),
    sourceFile: (path) => ls.getProgram()?.getSourceFile(`${ROOT}${path.replace(/^\/+/, '')}`),
  };
}

/** The innermost node of `sf` that starts exactly at `pos` and satisfies `pred`. */
export function nodeAt<T extends TS.Node>(sf: TS.SourceFile, pos: number, pred: (n: TS.Node) => n is T): T | undefined {
  const t = typescript();
  let found: T | undefined;
  const visit = (n: TS.Node): void => {
    if (n.getStart(sf) === pos && pred(n)) found = n;
    if (n.pos <= pos && pos < n.end) t.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}
