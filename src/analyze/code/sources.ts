/**
 * Where sources come from: a work tree (tracked and untracked-but-not-ignored files when it is a git work
 * tree, else a walk), or one revision of a repository, bare or not (`git ls-tree` + ONE `git cat-file --batch`
 * process streaming every blob — no spawn per file).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SourceFile } from '../../core/analysis.js';
import { FaultlineError, isFaultlineError } from '../../core/errors.js';
import { gitText, resolveRev, type RepoRef } from '../git/git.js';
import { languageOf } from './ts.js';

/** Files larger than this are skipped without reading (generated code, bundles). */
export const MAX_SOURCE_BYTES = 2 * 1024 * 1024;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'coverage', '.git', '.faultline', 'bower_components', 'vendor', '.next', '.nuxt', 'out']);

/**
 * A file we analyse: a source extension, not a declaration file (`*.d.ts`), not a minified file by name, and
 * not under a vendored or built folder (node_modules, bower_components, vendor, dist, coverage).
 */
export function isAnalyzablePath(path: string): boolean {
  if (languageOf(path) === undefined) return false;
  if (/\.d\.[cm]?ts$/.test(path) || /[.-]min\.[cm]?js$/.test(path)) return false;
  return !/(^|\/)(node_modules|bower_components|vendor|dist|coverage)\//.test(path);
}

/** Minified or bundled text: a line longer than 5,000 characters, or lines averaging over 250 characters. */
export function looksMinified(text: string): boolean {
  let lines = 1;
  let longest = 0;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    lines++;
    if (i - start > longest) longest = i - start;
    start = i + 1;
  }
  longest = Math.max(longest, text.length - start);
  return longest > 5000 || (text.length > 2000 && text.length / lines > 250);
}

/** git's blob id of some content: sha1 of `blob <length>\0<content>`. */
export function gitBlobId(content: Buffer | string): string {
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

async function gitOut(ref: RepoRef, args: string[]): Promise<string | undefined> {
  try {
    return await gitText(ref, args);
  } catch (e) {
    if (isFaultlineError(e, 'FL_ERR_GIT_NOT_REPO') || isFaultlineError(e, 'FL_ERR_GIT_FAILED')) return undefined;
    throw e;
  }
}

export interface RepoKind {
  /** absolute path */
  path: string;
  /** a bare repository (a git directory without a work tree) */
  bare: boolean;
  /** inside a git work tree (or a bare repository) */
  git: boolean;
  ref: RepoRef;
}

/** What `path` is: a plain folder, a git work tree, or a bare repository. */
export async function repoKind(path: string): Promise<RepoKind> {
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new FaultlineError('FL_ERR_ANALYZE_PATH', `${abs} does not exist or is not a folder; pass --repo with a project folder or a git repository`, { context: { repo: abs } });
  }
  const bare = (await gitOut({ repo: abs }, ['rev-parse', '--is-bare-repository']))?.trim() === 'true';
  if (bare) return { path: abs, bare: true, git: true, ref: { gitDir: abs } };
  const inside = (await gitOut({ repo: abs }, ['rev-parse', '--is-inside-work-tree']))?.trim() === 'true';
  return { path: abs, bare: false, git: inside, ref: { repo: abs } };
}

/** The commit a revision names, or FL_ERR_ANALYZE_REV. */
export async function commitOf(ref: RepoRef, rev: string): Promise<string> {
  try {
    return await resolveRev(ref, rev);
  } catch (e) {
    if (isFaultlineError(e, 'FL_ERR_GIT_FAILED')) {
      throw new FaultlineError('FL_ERR_ANALYZE_REV', `--rev ${rev}: not a commit of this repository; pass a commit id, branch or tag`, { cause: e, context: { rev } });
    }
    throw e;
  }
}

/** One file of a revision, before its content is read. */
export interface TreeEntry {
  path: string;
  blob: string;
  size: number;
}

/** The analysable files of a revision (`git ls-tree -r -l -z`), without their contents. */
export async function listRevision(ref: RepoRef, commit: string, under?: string): Promise<TreeEntry[]> {
  const prefix = under === undefined || under === '' || under === '.' ? '' : `${under.replace(/\/+$/, '')}/`;
  const out = await gitText(ref, ['ls-tree', '-r', '-l', '-z', '--full-tree', commit]);
  const entries: TreeEntry[] = [];
  for (const rec of out.split('\0')) {
    const tab = rec.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, blob, size] = rec.slice(0, tab).trim().split(/\s+/);
    const full = rec.slice(tab + 1).replace(/^\n/, '');
    if (!full.startsWith(prefix)) continue;
    // paths inside `under` are relative to it (so a project in an examples/ folder is not taken for docs)
    const path = full.slice(prefix.length);
    if (type !== 'blob' || mode === '120000' || blob === undefined) continue;
    const bytes = Number(size);
    if (!isAnalyzablePath(path) || !(bytes <= MAX_SOURCE_BYTES)) continue;
    entries.push({ path, blob, size: bytes });
  }
  return entries;
}

/**
 * Streams the contents of blobs through one `git cat-file --batch` process, in the order given.
 * Missing objects are skipped.
 */
export async function* readBlobs(ref: RepoRef, blobs: readonly string[]): AsyncGenerator<{ blob: string; content: Buffer }> {
  if (blobs.length === 0) return;
  const where = ref.gitDir !== undefined ? ['--git-dir', resolve(ref.gitDir)] : ['-C', resolve(ref.repo ?? '.')];
  const child = spawn('git', [...where, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    if (stderr.length < 4000) stderr += c.toString('utf8');
  });
  const exited = new Promise<number | null>((res, rej) => {
    child.on('error', (e) => rej(new FaultlineError('FL_ERR_GIT_FAILED', `could not run git cat-file (${e.message}); install git and put it on PATH`, { cause: e })));
    child.on('close', (code) => res(code));
  });
  exited.catch(() => undefined);
  child.stdin.on('error', () => undefined);
  child.stdin.end(blobs.join('\n') + '\n');

  let buf: Buffer = Buffer.alloc(0);
  let need = -1; // bytes of content (+ newline) still expected for `current`, -1 while reading a header
  let current = '';
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (need < 0) {
          const nl = buf.indexOf(10);
          if (nl < 0) break;
          const header = buf.subarray(0, nl).toString('utf8').split(' ');
          buf = buf.subarray(nl + 1);
          if (header[1] === 'missing' || header.length < 3) continue;
          current = header[0] as string;
          need = Number(header[2]) + 1;
        }
        if (buf.length < need) break;
        const content = Buffer.from(buf.subarray(0, need - 1));
        buf = buf.subarray(need);
        need = -1;
        yield { blob: current, content };
      }
    }
    finished = true;
  } finally {
    if (!finished) child.kill('SIGTERM');
  }
  const code = await exited;
  if (code !== 0) throw new FaultlineError('FL_ERR_GIT_FAILED', `\`git cat-file --batch\` exited with ${code}: ${stderr.trim()}`, { context: { exitCode: code } });
}

/** The analysable files of one revision, with their contents, streamed from one `git cat-file --batch`. */
export async function* revisionSources(repo: string, rev = 'HEAD'): AsyncGenerator<SourceFile> {
  const kind = await repoKind(repo);
  if (!kind.git) throw new FaultlineError('FL_ERR_GIT_NOT_REPO', `${kind.path} is not a git repository, so --rev cannot be read; drop --rev to analyse the folder as it is`, { context: { repo: kind.path } });
  const commit = await commitOf(kind.ref, rev);
  const entries = await listRevision(kind.ref, commit);
  const pathsOf = new Map<string, string[]>();
  for (const e of entries) pathsOf.set(e.blob, [...(pathsOf.get(e.blob) ?? []), e.path]);
  for await (const { blob, content } of readBlobs(kind.ref, [...pathsOf.keys()])) {
    const text = content.toString('utf8');
    for (const path of pathsOf.get(blob) ?? []) yield { path, text, blob };
  }
}

/** The analysable paths of a folder: `git ls-files` (tracked + untracked, .gitignore respected) in a git work tree, else a walk. */
export async function listWorkTree(dir: string): Promise<string[]> {
  const kind = await repoKind(dir);
  let paths: string[];
  if (kind.git && !kind.bare) {
    const out = await gitText(kind.ref, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
    paths = [...new Set(out.split('\0').filter((p) => p.length > 0))];
  } else {
    paths = [];
    const walk = (rel: string): void => {
      for (const e of readdirSync(join(kind.path, rel), { withFileTypes: true })) {
        const p = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name)) walk(p);
        } else if (e.isFile()) paths.push(p);
      }
    };
    walk('');
  }
  return paths.filter(isAnalyzablePath).sort();
}

/** The analysable files of a folder as they are on disk, each with its git blob id (computed, as git does). */
export async function* workTreeSources(dir: string): AsyncGenerator<SourceFile> {
  const root = resolve(dir);
  for (const path of await listWorkTree(root)) {
    let content: Buffer;
    try {
      const full = join(root, path);
      if (statSync(full).size > MAX_SOURCE_BYTES) continue;
      content = await readFile(full);
    } catch {
      continue; // deleted since listing, a submodule folder, unreadable
    }
    yield { path, text: content.toString('utf8'), blob: gitBlobId(content) };
  }
}
