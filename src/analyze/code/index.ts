/**
 * `analyze` for code: metrics, smells and the import graph of a set of sources, cached by blob id.
 * The compiler is loaded only when a file has to be parsed (a fully cached run never loads it).
 */
import { join } from 'node:path';
import type { CodeAnalysis, FileMetrics, Smell, SourceFile, SourceLanguage } from '../../core/analysis.js';
import { type AnalyzeCache, type CachedFile, openAnalyzeCache } from './cache.js';
import { importGraph } from './graph.js';
import { fileMetrics } from './metrics.js';
import { resolveImport } from './resolve.js';
import { detectSmells } from './smells/index.js';
import { isDocPath, isTestPath } from '../git/paths.js';
import { commitOf, gitBlobId, isAnalyzablePath, listRevision, looksMinified, readBlobs, repoKind, workTreeSources } from './sources.js';
import { languageOf, parseSource } from './ts.js';

export { openAnalyzeCache, CACHE_VERSION, type AnalyzeCache, type CachedFile } from './cache.js';
export { fileMetrics } from './metrics.js';
export { importGraph, pageRank, type PageRankOptions } from './graph.js';
export { resolveImport } from './resolve.js';
export { detectSmells, SMELL_DETECTORS, type SmellDetector } from './smells/index.js';
export { commitOf, gitBlobId, isAnalyzablePath, listRevision, listWorkTree, looksMinified, readBlobs, repoKind, revisionSources, workTreeSources, type RepoKind, type TreeEntry } from './sources.js';
export { languageOf, parseSource, typescriptLoaded, type ParsedSource } from './ts.js';

export interface AnalyzeOptions {
  /** reuse and fill this cache */
  cache?: AnalyzeCache;
  /**
   * keep test files and docs/examples (by path, the rules of analyze/git/paths.ts: test/, __tests__/, *.test.*,
   * *.spec.*, fixtures/, bench/, docs/, examples/, …) in `files` and `smells`; they are always in the graph.
   * Default false: the prediction set is the production code.
   */
  includeTests?: boolean;
  /** called after each file with the number done so far */
  onProgress?: (done: number) => void;
}

/** A file to analyse; `text` may be left out when the cache is known to hold its blob. */
interface Item {
  path: string;
  blob: string;
  text?: string;
}

function analyseOne(item: Item & { text: string }, language: SourceLanguage): CachedFile {
  if (looksMinified(item.text)) return { skipped: 'minified' };
  const parsed = parseSource(item.path, item.text, language);
  const m = fileMetrics({ path: item.path, text: item.text }, parsed);
  const { path: _p, blob: _b, ...metrics } = m;
  const smells = detectSmells(item.path, parsed).map(({ path: _sp, ...s }) => s);
  return { metrics, smells };
}

async function analyzeItems(items: Iterable<Item> | AsyncIterable<Item>, o: AnalyzeOptions, t0: number): Promise<CodeAnalysis> {
  const all: { path: string; blob: string; entry: Extract<CachedFile, { metrics: unknown }> }[] = [];
  let parsed = 0;
  let fromCache = 0;
  let done = 0;
  for await (const item of items) {
    const language = languageOf(item.path);
    if (language === undefined || !isAnalyzablePath(item.path)) continue;
    let entry = o.cache?.get(item.blob, language);
    if (entry !== undefined) fromCache++;
    else {
      if (item.text === undefined) continue;
      entry = analyseOne(item as Item & { text: string }, language);
      parsed++;
      o.cache?.put(item.blob, language, entry);
    }
    done++;
    o.onProgress?.(done);
    if ('metrics' in entry) all.push({ path: item.path, blob: item.blob, entry });
  }
  o.cache?.flush();

  const paths = new Set(all.map((a) => a.path));
  const measured: FileMetrics[] = all.map(({ path, blob, entry: { metrics } }) => ({
    ...metrics,
    path,
    blob,
    imports: [...new Set(metrics.imports.map((s) => resolveImport(path, s, paths)).filter((p): p is string => p !== undefined))],
  }));
  const graph = importGraph(measured);
  const keep = (p: string): boolean => o.includeTests === true || (!isTestPath(p) && !isDocPath(p));
  const files = measured.filter((f) => keep(f.path)).sort((a, b) => a.path.localeCompare(b.path));
  const smells: Smell[] = all
    .filter((a) => keep(a.path))
    .flatMap((a) => a.entry.smells.map((s) => ({ ...s, path: a.path })))
    .sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.col - b.col);
  graph.sort((a, b) => a.path.localeCompare(b.path));
  return { files, smells, graph, stats: { files: done, parsed, fromCache, ms: Math.round(performance.now() - t0) } };
}

/**
 * Analyses sources: metrics and smells per file (from the cache when it holds the blob), imports resolved
 * among the given paths, the import graph over every file (tests included), and `files`/`smells` without
 * the tests unless `includeTests`. Files that look minified are left out. A source without `blob` gets the
 * git blob id of its text.
 */
export function analyzeSources(sources: Iterable<SourceFile> | AsyncIterable<SourceFile>, o: AnalyzeOptions = {}): Promise<CodeAnalysis> {
  const t0 = performance.now();
  async function* items(): AsyncGenerator<Item> {
    for await (const s of sources) yield { path: s.path, blob: s.blob ?? gitBlobId(s.text), text: s.text };
  }
  return analyzeItems(items(), o, t0);
}

export interface AnalyzeRepoOptions {
  /** a project folder (work tree) or a git repository (bare mirrors too) */
  repo: string;
  /** a revision to read from git instead of the files on disk (default for a bare repository: HEAD) */
  rev?: string;
  /**
   * the cache folder; default `<repo>/.faultline/cache/analyze-v1` for a work tree. A bare repository is never
   * written into: without cacheDir it is analysed without a cache.
   */
  cacheDir?: string;
  /** no cache at all */
  noCache?: boolean;
  includeTests?: boolean;
  /** with `rev`: analyse only this folder of the repository; paths in the result are relative to it */
  under?: string;
  /** called with (done, total) — total is known for revisions, undefined for work trees */
  onProgress?: (done: number, total: number | undefined) => void;
}

/** The default cache folder of a work tree. */
export function defaultCacheDir(repo: string): string {
  return join(repo, '.faultline', 'cache', 'analyze-v1');
}

/**
 * Analyses a repository: the work tree as it is on disk, or a revision read from git. For a revision, blobs
 * the cache already holds are not even read: a warm run lists the tree and streams only the new blobs.
 */
export async function analyzeRepo(o: AnalyzeRepoOptions): Promise<CodeAnalysis & { rev?: string }> {
  const t0 = performance.now();
  const kind = await repoKind(o.repo);
  const cacheDir = o.noCache === true ? undefined : (o.cacheDir ?? (kind.bare ? undefined : defaultCacheDir(kind.path)));
  const cache = cacheDir === undefined ? undefined : openAnalyzeCache(cacheDir);
  const base: AnalyzeOptions = { includeTests: o.includeTests === true };
  if (cache) base.cache = cache;
  const rev = o.rev ?? (kind.bare ? 'HEAD' : undefined);

  if (rev === undefined) {
    if (o.onProgress) base.onProgress = (d) => o.onProgress?.(d, undefined);
    return analyzeSources(workTreeSources(kind.path), base);
  }
  const commit = await commitOf(kind.ref, rev);
  const entries = await listRevision(kind.ref, commit, o.under);
  if (o.onProgress) base.onProgress = (d) => o.onProgress?.(d, entries.length);
  const hit: Item[] = [];
  const missPaths = new Map<string, string[]>();
  for (const e of entries) {
    const language = languageOf(e.path) as SourceLanguage;
    if (cache?.get(e.blob, language) !== undefined) hit.push({ path: e.path, blob: e.blob });
    else missPaths.set(e.blob, [...(missPaths.get(e.blob) ?? []), e.path]);
  }
  async function* items(): AsyncGenerator<Item> {
    yield* hit;
    for await (const { blob, content } of readBlobs(kind.ref, [...missPaths.keys()])) {
      const text = content.toString('utf8');
      for (const path of missPaths.get(blob) ?? []) yield { path, blob, text };
    }
  }
  const result = await analyzeItems(items(), base, t0);
  return { ...result, rev: commit };
}
