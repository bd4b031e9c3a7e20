/**
 * The store of runs (the chaos ledger of runs: experiments, card drills, chaos sessions, game days).
 * <stateDir>/runs.jsonl is the append log and the source of truth: one RunRecord per line, appended with
 * O_APPEND so several processes can write. A `runs` table in <stateDir>/ledger.db (the fault ledger's SQLite
 * file) indexes it for queries; the index catches up with the log on every read, so it can always be rebuilt.
 * A record appended again with the same id replaces the earlier one (a run first recorded as running and later
 * marked 'interrupted' keeps one row). A torn last line (a writer killed mid-write) is skipped and counted.
 */
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { FaultlineError } from '../core/errors.js';
import type { RunKind, RunRecord } from '../core/run.js';
import { LEDGER_DB } from './ledger.js';

export const RUNS_FILE = 'runs.jsonl';

export interface RunQuery {
  kind?: RunKind;
  cardId?: string;
  /** ISO time; runs that started at or after it */
  since?: string;
  /** the newest `limit` runs (still returned oldest first) */
  limit?: number;
}

const RUN_KINDS: readonly RunKind[] = ['experiment', 'card', 'chaos', 'gameday', 'loop', 'test'];
const RUN_STATUSES: readonly RunRecord['status'][] = ['completed', 'failed', 'aborted', 'interrupted'];

function checkRecord(r: RunRecord): void {
  const bad = (field: string, what: string): never => {
    throw new FaultlineError('FL_ERR_RUN_RECORD_INVALID', `run record ${JSON.stringify(r.id ?? '')}: ${field} ${what}`, { context: { field } });
  };
  if (typeof r.id !== 'string' || r.id.length === 0) bad('id', 'must be a non-empty string');
  if (!RUN_KINDS.includes(r.kind)) bad('kind', `must be one of ${RUN_KINDS.join(', ')}`);
  if (!RUN_STATUSES.includes(r.status)) bad('status', `must be one of ${RUN_STATUSES.join(', ')}`);
  if (Number.isNaN(Date.parse(r.startedAt))) bad('startedAt', 'must be an ISO-8601 time');
  if (Number.isNaN(Date.parse(r.endedAt))) bad('endedAt', 'must be an ISO-8601 time');
}

/** Appends one run to <stateDir>/runs.jsonl (creating the folder). Synchronous, so it also works from a signal handler. */
export function appendRun(stateDir: string, r: RunRecord): void {
  checkRecord(r);
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, RUNS_FILE);
  // a torn last line from a killed writer must not swallow this record: start on a fresh line
  const lead = existsSync(path) && !endsWithNewline(path) ? '\n' : '';
  appendFileSync(path, lead + JSON.stringify(r) + '\n');
}

function endsWithNewline(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return true;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

export interface RunLogScan {
  /** complete lines read, in log order */
  records: RunRecord[];
  /** lines that were not valid records (torn writes), skipped */
  skipped: number;
  /** byte offset just past the last complete line */
  endOffset: number;
}

/**
 * Reads runs.jsonl from `fromOffset` in 64 KiB chunks, line by line. A last line without its newline is left
 * for the next read (a writer may be mid-append); lines that do not parse as a record are skipped and counted.
 */
export function scanRunLog(stateDir: string, fromOffset = 0): RunLogScan {
  const path = join(stateDir, RUNS_FILE);
  const out: RunLogScan = { records: [], skipped: 0, endOffset: fromOffset };
  if (!existsSync(path)) return out;
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let pending = Buffer.alloc(0);
    let pos = fromOffset;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      pos += n;
      let buf = Buffer.concat([pending, chunk.subarray(0, n)]);
      let nl: number;
      while ((nl = buf.indexOf(0x0a)) >= 0) {
        const line = buf.subarray(0, nl).toString('utf8');
        out.endOffset += nl + 1;
        buf = buf.subarray(nl + 1);
        if (line.trim().length === 0) continue;
        const rec = parseRecord(line);
        if (rec) out.records.push(rec);
        else out.skipped++;
      }
      pending = Buffer.from(buf);
    }
    if (pending.length > 0 && parseRecord(pending.toString('utf8')) === undefined) out.skipped++;
  } finally {
    closeSync(fd);
  }
  return out;
}

function parseRecord(line: string): RunRecord | undefined {
  try {
    const r = JSON.parse(line) as RunRecord;
    if (r && typeof r === 'object' && typeof r.id === 'string' && typeof r.startedAt === 'string' && typeof r.kind === 'string') return r;
  } catch {
    // a torn line: counted by the caller
  }
  return undefined;
}

function openIndex(stateDir: string): BetterSqlite3.Database {
  mkdirSync(stateDir, { recursive: true });
  const require = createRequire(import.meta.url);
  try {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    const db = new Database(join(stateDir, LEDGER_DB));
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS runs_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY, seq INTEGER NOT NULL, kind TEXT NOT NULL, card_id TEXT, status TEXT NOT NULL,
        started_at TEXT NOT NULL, record TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
      CREATE INDEX IF NOT EXISTS runs_card ON runs(card_id, started_at);
    `);
    return db;
  } catch (cause) {
    throw new FaultlineError('FL_ERR_STORE_OPEN', `cannot open the run store in ${stateDir}: ${(cause as Error).message}`, { cause });
  }
}

/** Imports the log lines appended since the last sync into the SQLite index; returns how many lines were skipped. */
function syncIndex(db: BetterSqlite3.Database, stateDir: string): number {
  const getOffset = db.prepare<[], { value: string }>(`SELECT value FROM runs_meta WHERE key = 'offset'`);
  const offset = Number(getOffset.get()?.value ?? 0);
  const scan = scanRunLog(stateDir, offset);
  if (scan.endOffset === offset) return scan.skipped;
  const upsert = db.prepare(`INSERT INTO runs (id, seq, kind, card_id, status, started_at, record)
    VALUES (@id, @seq, @kind, @cardId, @status, @startedAt, @record)
    ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, kind = excluded.kind, card_id = excluded.card_id,
      status = excluded.status, started_at = excluded.started_at, record = excluded.record`);
  const setOffset = db.prepare(`INSERT INTO runs_meta(key, value) VALUES ('offset', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
  const maxSeq = (db.prepare(`SELECT COALESCE(MAX(seq), 0) AS m FROM runs`).get() as { m: number }).m;
  db.transaction(() => {
    scan.records.forEach((r, i) => {
      upsert.run({ id: r.id, seq: maxSeq + i + 1, kind: r.kind, cardId: r.cardId ?? null, status: r.status, startedAt: r.startedAt, record: JSON.stringify(r) });
    });
    setOffset.run(String(scan.endOffset));
  })();
  return scan.skipped;
}

/** Runs in the store, oldest first (by start time), filtered by `q`. */
export function listRuns(stateDir: string, q: RunQuery = {}): RunRecord[] {
  if (!existsSync(join(stateDir, RUNS_FILE))) return [];
  const db = openIndex(stateDir);
  try {
    syncIndex(db, stateDir);
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    if (q.kind) (where.push('kind = @kind'), (args.kind = q.kind));
    if (q.cardId) (where.push('card_id = @cardId'), (args.cardId = q.cardId));
    if (q.since) (where.push('started_at >= @since'), (args.since = q.since));
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const sql = q.limit
      ? `SELECT record FROM runs ${cond} ORDER BY started_at DESC, seq DESC LIMIT ${Math.max(1, Math.floor(q.limit))}`
      : `SELECT record FROM runs ${cond} ORDER BY started_at ASC, seq ASC`;
    const rows = (db.prepare(sql).all(args) as Array<{ record: string }>).map((row) => JSON.parse(row.record) as RunRecord);
    return q.limit ? rows.reverse() : rows;
  } finally {
    db.close();
  }
}

/** A run counts as a drill of its card when it ran to the end ('completed' or 'failed'), whatever its kind. */
export function isDrill(r: RunRecord): boolean {
  return r.cardId !== undefined && (r.status === 'completed' || r.status === 'failed');
}

/** The latest drill of each card (by start time). Aborted and interrupted runs are not drills. */
export function lastDrills(stateDir: string): Map<string, RunRecord> {
  const out = new Map<string, RunRecord>();
  for (const r of listRuns(stateDir)) if (isDrill(r)) out.set(r.cardId as string, r);
  return out;
}
