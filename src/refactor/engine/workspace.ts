/**
 * Where fixes are made: a git worktree on a new branch, in a folder outside the user's tree. The engine sees
 * it through `Workspace` (read, write, restore, commit, dispose), so its loop can be tested with an in-memory
 * one. The repository's node_modules is symlinked into the worktree so the type-check and the tests run
 * without an install.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { addWorktree, commitInWorktree, git, removeWorktree, restoreInWorktree } from './git.js';

export interface Workspace {
  /** absolute folder the checks run in */
  readonly dir: string;
  readonly branch: string;
  readonly baseCommit: string;
  /** a file's current text, or undefined when it does not exist */
  read(path: string): string | undefined;
  write(path: string, text: string): void;
  /** puts the files back as last committed */
  restore(paths: readonly string[]): Promise<void>;
  /** commits exactly these files; returns the commit id */
  commit(paths: readonly string[], message: string): Promise<string>;
  /** removes the folder (the branch and its commits stay) */
  dispose(): Promise<void>;
  /** the repository's files (as committed at the base), for recipes that change callers in other files */
  list?(): readonly string[];
}

const SOURCE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const NOT_SOURCE = /(^|\/)(node_modules|dist|build|out|coverage|vendor)\/|\.d\.[mc]?ts$|\.min\.js$/;
/** a recipe that changes callers too sees at most this many files (a language service over more takes too long) */
export const MAX_PROJECT_FILES = 2000;

/**
 * The source files of the package `path` belongs to: the files of `listed` whose nearest package.json is the
 * same as `path`'s (the repository root when there is none), without build output, dependencies and
 * declaration files. Empty when there are more than MAX_PROJECT_FILES.
 */
export function projectFiles(listed: readonly string[], path: string): string[] {
  const packages = new Set(listed.filter((f) => f === 'package.json' || f.endsWith('/package.json')).map((f) => (f === 'package.json' ? '' : f.slice(0, -'/package.json'.length))));
  const packageOf = (file: string): string => {
    for (let d = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : ''; ; d = d.includes('/') ? d.slice(0, d.lastIndexOf('/')) : '') {
      if (packages.has(d)) return d;
      if (d === '') return '';
    }
  };
  const mine = packageOf(path);
  const files = listed.filter((f) => SOURCE.test(f) && !NOT_SOURCE.test(f) && packageOf(f) === mine);
  return files.length > MAX_PROJECT_FILES ? [] : files;
}

/** True when `inner` is `outer` or inside it. */
export function isInside(inner: string, outer: string): boolean {
  const rel = relative(resolve(outer), resolve(inner));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The worktree folder: `<stateDir>/worktrees/<runId>` when the state folder is outside the repository,
 * else `<os tmpdir>/faultline-refactor-<runId>` (never inside the user's tree).
 */
export function worktreeDir(repo: string, stateDir: string, runId: string): string {
  return isInside(stateDir, repo) ? join(tmpdir(), `faultline-refactor-${runId}`) : join(stateDir, 'worktrees', runId);
}

function safePath(dir: string, path: string): string {
  const abs = resolve(dir, path);
  if (!isInside(abs, dir)) throw new Error(`path ${path} leaves the worktree`);
  return abs;
}

export interface OpenWorktreeOptions {
  repo: string;
  dir: string;
  branch: string;
  baseCommit: string;
  /** symlink <repo>/node_modules into the worktree (default true) */
  linkNodeModules?: boolean;
}

/** Creates the worktree (`git worktree add -b <branch> <dir> <base>`) and links node_modules. */
export async function openWorktree(o: OpenWorktreeOptions): Promise<Workspace & { linkedNodeModules: boolean }> {
  mkdirSync(dirname(o.dir), { recursive: true });
  await addWorktree(o.repo, o.dir, o.branch, o.baseCommit);
  let linked = false;
  const source = join(o.repo, 'node_modules');
  const link = join(o.dir, 'node_modules');
  if (o.linkNodeModules !== false && existsSync(source) && !existsSync(link)) {
    symlinkSync(source, link, 'dir');
    linked = true;
  }
  let disposed = false;
  const listed = (await git(o.dir, ['ls-files', '-z'])).split('\0').filter((f) => f !== '');
  return {
    dir: o.dir,
    branch: o.branch,
    baseCommit: o.baseCommit,
    linkedNodeModules: linked,
    read(path) {
      const abs = safePath(o.dir, path);
      return existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
    },
    write(path, text) {
      writeFileSync(safePath(o.dir, path), text);
    },
    list: () => listed,
    restore: (paths) => restoreInWorktree(o.dir, paths),
    commit: (paths, message) => commitInWorktree(o.dir, paths, message),
    async dispose() {
      if (disposed) return;
      disposed = true;
      // the link first, so nothing can follow it into the repository's node_modules
      try {
        if (lstatSync(link).isSymbolicLink()) rmSync(link);
      } catch {
        // not there
      }
      await removeWorktree(o.repo, o.dir);
      rmSync(o.dir, { recursive: true, force: true });
    },
  };
}
