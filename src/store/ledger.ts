/**
 * The chaos ledger. Every injection, update, revert, expiry and refusal is appended as one JSON line to
 * <stateDir>/events.jsonl (the append log: detached TTL guards write to it too, with O_APPEND), and indexed
 * into SQLite (<stateDir>/ledger.db) for queries. The SQLite index catches up with the log on every write and
 * on open, so events written by other processes are never lost.
 */
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { FaultlineError } from '../core/errors.js';
import type { LedgerAction, LedgerEvent, LedgerSink } from '../core/fault.js';

export interface LedgerQuery {
  faultId?: string;
  action?: LedgerAction;
  /** ISO time; events at or after it */
  since?: string;
  limit?: number;
}

export interface Ledger extends LedgerSink {
  readonly dir: string;
  query(q?: LedgerQuery): LedgerEvent[];
  /** imports lines other processes appended since the last sync; returns how many */
  sync(): number;
  close(): void;
}

export const EVENTS_FILE = 'events.jsonl';
export const LEDGER_DB = 'ledger.db';

/** Appends one event to the JSONL log without SQLite (for detached guard processes). */
export function appendEvent(stateDir: string, e: Omit<LedgerEvent, 'ts'> & { ts?: string }): void {
  mkdirSync(stateDir, { recursive: true });
  appendFileSync(join(stateDir, EVENTS_FILE), JSON.stringify({ ts: new Date().toISOString(), ...e }) + '\n');
}

export function openLedger(stateDir: string): Ledger {
  mkdirSync(stateDir, { recursive: true });
  const require = createRequire(import.meta.url);
  let db: BetterSqlite3.Database;
  try {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    db = new Database(join(stateDir, LEDGER_DB));
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL, action TEXT NOT NULL, fault_id TEXT NOT NULL, kind TEXT NOT NULL, layer TEXT NOT NULL,
        target TEXT NOT NULL, params TEXT NOT NULL, actor TEXT NOT NULL, outcome TEXT NOT NULL,
        ttl_ms INTEGER, detail TEXT
      );
      CREATE INDEX IF NOT EXISTS events_fault ON events(fault_id);
      CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
    `);
  } catch (cause) {
    throw new FaultlineError('FL_ERR_STORE_OPEN', `cannot open the ledger in ${stateDir}: ${(cause as Error).message}`, { cause });
  }
  const logPath = join(stateDir, EVENTS_FILE);
  const getOffset = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'jsonl_offset'`);
  const setOffset = db.prepare(`INSERT INTO meta(key, value) VALUES ('jsonl_offset', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
  const insert = db.prepare(`INSERT INTO events (ts, action, fault_id, kind, layer, target, params, actor, outcome, ttl_ms, detail)
    VALUES (@ts, @action, @faultId, @kind, @layer, @target, @params, @actor, @outcome, @ttlMs, @detail)`);

  const importLines = db.transaction((lines: string[], newOffset: number) => {
    for (const line of lines) {
      let e: LedgerEvent;
      try {
        e = JSON.parse(line) as LedgerEvent;
      } catch {
        continue; // a torn line from a crashed writer: skipped, still in the log
      }
      insert.run({ ts: e.ts, action: e.action, faultId: e.faultId, kind: e.kind, layer: e.layer, target: e.target, params: JSON.stringify(e.params ?? {}), actor: e.actor, outcome: e.outcome, ttlMs: e.ttlMs ?? null, detail: e.detail ?? null });
    }
    setOffset.run(String(newOffset));
  });

  const sync = (): number => {
    if (!existsSync(logPath)) return 0;
    const offset = Number(getOffset.get()?.value ?? 0);
    const fd = openSync(logPath, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= offset) return 0;
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      const text = buf.toString('utf8');
      const end = text.lastIndexOf('\n');
      if (end < 0) return 0; // a partial line: wait for its newline
      const lines = text.slice(0, end).split('\n').filter((l) => l.length > 0);
      importLines(lines, offset + Buffer.byteLength(text.slice(0, end + 1)));
      return lines.length;
    } finally {
      closeSync(fd);
    }
  };
  sync();

  return {
    dir: stateDir,
    record(e) {
      appendEvent(stateDir, e);
      sync();
    },
    sync,
    query(q = {}) {
      sync();
      const where: string[] = [];
      const args: Record<string, unknown> = {};
      if (q.faultId) (where.push('fault_id = @faultId'), (args.faultId = q.faultId));
      if (q.action) (where.push('action = @action'), (args.action = q.action));
      if (q.since) (where.push('ts >= @since'), (args.since = q.since));
      const sql = `SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id ${q.limit ? 'DESC LIMIT ' + Math.max(1, Math.floor(q.limit)) : 'ASC'}`;
      const rows = db.prepare(sql).all(args) as Array<Record<string, unknown>>;
      const events = rows.map((r) => ({
        ts: r.ts as string,
        action: r.action as LedgerAction,
        faultId: r.fault_id as string,
        kind: r.kind as string,
        layer: r.layer as LedgerEvent['layer'],
        target: r.target as string,
        params: JSON.parse(r.params as string) as Record<string, unknown>,
        actor: r.actor as string,
        outcome: r.outcome as LedgerEvent['outcome'],
        ...(r.ttl_ms !== null ? { ttlMs: r.ttl_ms as number } : {}),
        ...(r.detail !== null ? { detail: r.detail as string } : {}),
      }));
      return q.limit ? events.reverse() : events;
    },
    close() {
      db.close();
    },
  };
}
