/** Which repository paths count as source code, tests and docs (the same rules for fixes, SZZ, labels and JIT). */

/** Extensions of the code faultline analyses. */
export const SOURCE_EXTENSIONS = ['ts', 'tsx', 'js', 'jsx', 'mts', 'cts', 'mjs', 'cjs'] as const;

/** git pathspecs that select the source extensions (SZZ reads only these). */
export const SOURCE_PATHSPECS = SOURCE_EXTENSIONS.map((e) => `*.${e}`);

const SOURCE_RE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const TEST_RE = /(?:^|\/)(?:tests?|__tests__|__mocks__|specs?|fixtures?|e2e|benchmarks?|bench)\/|\.(?:test|spec|bench)\.[cm]?[jt]sx?$/i;
const VENDOR_RE = /(?:^|\/)(?:node_modules|dist|build|vendor|coverage|out)\/|\.min\.js$|\.d\.[cm]?ts$/;
const DOC_RE = /\.(?:md|mdx|markdown|txt|rst|adoc)$|(?:^|\/)(?:docs?|examples?|samples?)\/|(?:^|\/)(?:LICEN[CS]E|CHANGELOG|AUTHORS|README)[^/]*$/i;

export function isTestPath(path: string): boolean {
  return TEST_RE.test(path);
}

export function isDocPath(path: string): boolean {
  return DOC_RE.test(path);
}

/** Source code: a JS/TS file that is not a test, not docs or examples, not vendored/built output, not a declaration file. */
export function isSourcePath(path: string): boolean {
  return SOURCE_RE.test(path) && !isTestPath(path) && !isDocPath(path) && !VENDOR_RE.test(path);
}

/** The subsystem of a path (Kamei's NS): its first folder, or `.` for a file at the root. */
export function subsystemOf(path: string): string {
  const i = path.indexOf('/');
  return i < 0 ? '.' : path.slice(0, i);
}

/** The folder of a path (Kamei's ND), `.` at the root. */
export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : path.slice(0, i);
}
