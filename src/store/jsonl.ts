/**
 * The JSONL record logs of the store (refactors.jsonl, releases.jsonl): one JSON object per line, appended with
 * O_APPEND so several processes can write; a record appended again with the same id replaces the earlier one,
 * and a line that is not a valid record (a writer killed mid-write) is skipped and counted.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface JsonlLog<T> {
  /** the latest version of each record, in the order the ids first appeared */
  records: T[];
  /** lines that were not valid records (torn writes), skipped */
  skipped: number;
}

/** Reads `path` (missing = empty); `valid` says whether a parsed line is a record. */
export function readJsonlLog<T extends { id: string }>(path: string, valid: (j: T) => boolean): JsonlLog<T> {
  const out: JsonlLog<T> = { records: [], skipped: 0 };
  if (!existsSync(path)) return out;
  const byId = new Map<string, T>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let r: T | undefined;
    try {
      const j = JSON.parse(line) as T;
      if (j && typeof j === 'object' && valid(j)) r = j;
    } catch {
      // a torn line
    }
    if (r === undefined) out.skipped++;
    else byId.set(r.id, r);
  }
  out.records = [...byId.values()];
  return out;
}
