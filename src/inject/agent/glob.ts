import { fileURLToPath } from 'node:url';

/** Characters that make a pattern a glob rather than a literal path suffix. */
const GLOB_CHARS = /[*?]/;

function escapeRe(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/**
 * Path glob to RegExp (whole-string match): `**` any characters including `/`, `**\/` zero or more
 * folders, `*` any characters except `/`, `?` one character except `/`.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += escapeRe(c);
    }
  }
  return new RegExp(`^${re}$`);
}

function toPath(p: string): string {
  return p.startsWith('file:') ? fileURLToPath(p) : p;
}

/**
 * A module pattern, matched against a module's absolute file path:
 * - without `*` or `?`: a path suffix on a folder boundary (`lib/price.mjs` matches `/app/src/lib/price.mjs`);
 *   without an extension it matches any JavaScript/TypeScript extension (`pricing-client` matches
 *   `/app/dist/pricing-client.js`), and a TypeScript source name matches its compiled file
 *   (`pricing-client.ts` matches `pricing-client.js`), so users can name modules as they see them in their sources;
 * - with them: a glob; a relative glob may start in any folder (`src/*.mjs` = `**\/src/*.mjs`).
 * A `file:` URL is converted to a path first.
 */
export function compileModuleMatcher(pattern: string): (path: string) => boolean {
  const p = toPath(pattern.trim());
  if (p === '' || p === '*' || p === '**') return () => true;
  if (!GLOB_CHARS.test(p)) {
    const suffix = p.startsWith('/') ? p : `/${p}`;
    const bare = /\.(?:[cm]?[jt]sx?)$/.test(p) ? suffix.replace(/\.(?:[cm]?[jt]sx?)$/, '') : suffix;
    const loose = bare !== suffix ? /\.(?:m|c)?tsx?$/.test(p) : true;
    return (path) => path === p || path.endsWith(suffix) || (loose && path.replace(/\.(?:[cm]?[jt]sx?)$/, '').endsWith(bare));
  }
  const re = globToRegExp(p.startsWith('/') ? p : `**/${p}`);
  return (path) => re.test(path);
}

/** A function-name pattern: exact, or with `*` matching any characters (dots included): `Cart.prototype.*`. */
export function compileNameMatcher(pattern: string): (name: string) => boolean {
  if (!pattern.includes('*')) return (name) => name === pattern;
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`);
  return (name) => re.test(name);
}

export interface RouteMatcher {
  /** upper-case method, or undefined for any */
  method: string | undefined;
  path: string;
  match(method: string, path: string): boolean;
}

/** Parses "GET /items/*" or "/items/*" (any method). `*` matches any characters, `/` included. Returns undefined when malformed. */
export function compileRouteMatcher(route: string): RouteMatcher | undefined {
  const m = /^\s*(?:([A-Za-z]+|\*)\s+)?(\/\S*)\s*$/.exec(route);
  if (!m) return undefined;
  const method = m[1] === undefined || m[1] === '*' ? undefined : m[1].toUpperCase();
  const path = m[2] as string;
  const re = new RegExp(`^${path.split('*').map(escapeRe).join('.*')}$`);
  return {
    method,
    path,
    match: (reqMethod, reqPath) => (method === undefined || method === reqMethod.toUpperCase()) && re.test(reqPath),
  };
}

/** include/exclude lists of path globs (see compileModuleMatcher); a path is kept when it matches an include (or there are none) and no exclude. */
export function compilePathFilter(include: readonly string[], exclude: readonly string[], excludePrefixes: readonly string[] = []): (path: string) => boolean {
  const inc = include.map(compileModuleMatcher);
  const exc = exclude.map(compileModuleMatcher);
  return (path) => {
    if (excludePrefixes.some((p) => path.startsWith(p))) return false;
    if (inc.length > 0 && !inc.some((m) => m(path))) return false;
    return !exc.some((m) => m(path));
  };
}

/** Splits a comma-separated environment list, dropping blanks. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export const DEFAULT_EXCLUDE: readonly string[] = ['**/node_modules/**'];
