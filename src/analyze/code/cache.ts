/**
 * The analysis cache: FileMetrics and smells per (blob id, language), so a file is parsed once per content,
 * whatever its path or revision. One append-only pack per cache version (`pack-<version>.jsonl`, one JSON
 * object per line) in the cache folder: loaded whole at open (one read), appended once per run with the new
 * entries. A change of CACHE_VERSION starts a new pack and removes the packs of other versions.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FileMetrics, Smell, SourceLanguage } from '../../core/analysis.js';
import { FaultlineError } from '../../core/errors.js';

/** Bump when metrics, import extraction or any smell detector changes what they produce. */
export const CACHE_VERSION = 'a1';

/** What is kept per blob: everything but the path (and blob), which come from the file being analysed. */
export type CachedFile =
  | { metrics: Omit<FileMetrics, 'path' | 'blob'>; smells: Omit<Smell, 'path'>[] }
  | { skipped: 'minified' };

export interface AnalyzeCache {
  readonly dir: string;
  get(blob: string, language: SourceLanguage): CachedFile | undefined;
  put(blob: string, language: SourceLanguage, entry: CachedFile): void;
  /** appends the entries put since the last flush */
  flush(): void;
  /** entries in the pack */
  readonly size: number;
}

function keyOf(blob: string, language: SourceLanguage): string {
  return `${blob}:${language}`;
}

/** Opens (creating the folder) the cache in `dir`; FL_ERR_ANALYZE_CACHE when the folder cannot be made. */
export function openAnalyzeCache(dir: string): AnalyzeCache {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new FaultlineError('FL_ERR_ANALYZE_CACHE', `cannot create the cache folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass --cache DIR with a writable folder or --no-cache`, { cause: e, context: { dir } });
  }
  const pack = join(dir, `pack-${CACHE_VERSION}.jsonl`);
  for (const f of readdirSync(dir)) {
    if (/^pack-.*\.jsonl$/.test(f) && f !== `pack-${CACHE_VERSION}.jsonl`) rmSync(join(dir, f), { force: true });
  }
  const entries = new Map<string, CachedFile>();
  if (existsSync(pack)) {
    for (const line of readFileSync(pack, 'utf8').split('\n')) {
      if (line.length === 0) continue;
      try {
        const rec = JSON.parse(line) as { k: string; v: CachedFile };
        entries.set(rec.k, rec.v);
      } catch {
        // a line cut short by a crash: the entry is recomputed and appended again
      }
    }
  }
  let pending: string[] = [];
  return {
    dir,
    get: (blob, language) => entries.get(keyOf(blob, language)),
    put(blob, language, entry) {
      const k = keyOf(blob, language);
      if (entries.has(k)) return;
      entries.set(k, entry);
      pending.push(JSON.stringify({ k, v: entry }));
    },
    flush() {
      if (pending.length === 0) return;
      try {
        appendFileSync(pack, pending.join('\n') + '\n');
      } catch (e) {
        throw new FaultlineError('FL_ERR_ANALYZE_CACHE', `cannot write the cache ${pack} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass --cache DIR with a writable folder or --no-cache`, { cause: e, context: { file: pack } });
      }
      pending = [];
    },
    get size() {
      return entries.size;
    },
  };
}
