/** Paths as reports write them → repository-relative, forward-slash paths. Pure string work (no file system). */
import { posix } from 'node:path';

const DRIVE = /^[A-Za-z]:\//;

export function toSlashes(p: string): string {
  return p.replace(/\\/g, '/');
}

export function isAbsoluteReportPath(p: string): boolean {
  const s = toSlashes(p);
  return s.startsWith('/') || DRIVE.test(s);
}

/** Forward slashes, no `./` segments, no trailing slash ('' for the root itself). */
export function normalisePath(p: string): string {
  const s = toSlashes(p.trim());
  if (s === '' || s === '.' || s === './') return '';
  const drive = DRIVE.test(s) ? s.slice(0, 2) : '';
  let n = posix.normalize(drive === '' ? s : s.slice(2));
  if (n.length > 1 && n.endsWith('/')) n = n.slice(0, -1);
  if (n === '.') return '';
  if (n.startsWith('./')) n = n.slice(2);
  return drive + n;
}

/** A module folder as used in `moduleCoverage` and `mutationScore`: normalised, no leading or trailing slash. */
export function normaliseModulePath(p: string): string {
  return normalisePath(p).replace(/^\/+/, '').replace(/\/+$/, '');
}

export interface ResolvedReportPath {
  path: string;
  outsideRoot: boolean;
}

/**
 * Resolve a path found in a report. `base` (cobertura's <source>) is prepended to relative paths first. Absolute
 * results under `root` become root-relative; absolute results elsewhere, and relative paths that climb out with
 * `../`, are kept (normalised) and flagged. Without `root`, absolute paths stay absolute and are not flagged.
 * Drive-letter paths compare case-insensitively.
 */
export function resolveReportPath(raw: string, root?: string, base?: string): ResolvedReportPath {
  let p = normalisePath(raw);
  if (base !== undefined && base !== '' && !isAbsoluteReportPath(p)) p = normalisePath(`${toSlashes(base)}/${p}`);
  if (isAbsoluteReportPath(p)) {
    if (root === undefined) return { path: p, outsideRoot: false };
    const r = normalisePath(root);
    const caseless = DRIVE.test(r);
    const pc = caseless ? p.toLowerCase() : p;
    const rc = caseless ? r.toLowerCase() : r;
    if (pc === rc) return { path: '', outsideRoot: false };
    const prefix = rc.endsWith('/') ? rc : `${rc}/`;
    if (pc.startsWith(prefix)) return { path: p.slice(prefix.length), outsideRoot: false };
    return { path: p, outsideRoot: true };
  }
  return { path: p, outsideRoot: p === '..' || p.startsWith('../') };
}

/** Whether `path` (repository-relative) lies in the folder `modulePath` ('' = everything). */
export function isUnder(path: string, modulePath: string): boolean {
  return modulePath === '' || path === modulePath || path.startsWith(`${modulePath}/`);
}
