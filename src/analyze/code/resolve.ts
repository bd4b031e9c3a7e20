/** Resolution of relative import specifiers to repository paths, the way Node and TypeScript find them. */
import { posix } from 'node:path';

const TRY_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
/** TypeScript's convention: `./a.js` in a .ts file points at `./a.ts`. */
const TS_FOR_JS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

/**
 * Resolves `spec` imported from `fromPath` against the set of known repository paths: the path itself, its
 * TypeScript twin (`.js` → `.ts`), the path plus each source extension, then `<path>/index.<ext>`.
 * Returns undefined when nothing matches (a package, a file outside the repository, a filtered file).
 */
export function resolveImport(fromPath: string, spec: string, paths: ReadonlySet<string>): string | undefined {
  const joined = posix.normalize(posix.join(posix.dirname(fromPath), spec));
  if (joined.startsWith('../') || joined === '..' || posix.isAbsolute(joined)) return undefined;
  const base = joined.replace(/\/$/, '');
  if (paths.has(base)) return base;
  const dot = base.lastIndexOf('.');
  const ext = dot > base.lastIndexOf('/') ? base.slice(dot) : '';
  for (const twin of TS_FOR_JS[ext] ?? []) {
    const p = base.slice(0, dot) + twin;
    if (paths.has(p)) return p;
  }
  for (const e of TRY_EXTENSIONS) if (paths.has(base + e)) return base + e;
  const dir = base === '.' ? '' : `${base}/`;
  for (const e of TRY_EXTENSIONS) if (paths.has(`${dir}index${e}`)) return `${dir}index${e}`;
  return undefined;
}
