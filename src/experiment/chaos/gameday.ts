/**
 * Game days: a named, scheduled sequence of card drills, from a YAML file:
 *   name, schedule ("now" | ISO time | 5-field cron), bind (defaults for every step),
 *   steps: [{card, at: "+30s", bind}]. Format: docs/reference/chaos.md.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { LineCounter, isMap, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { parseDurationMs } from '../../core/duration.js';
import { FaultlineError } from '../../core/errors.js';
import type { Bindings } from '../cards/bind.js';
import type { FailureCard } from '../cards/types.js';

export type Schedule = { kind: 'now' } | { kind: 'at'; atMs: number } | { kind: 'cron'; expr: string };

export interface GameDayStep {
  card: string;
  /** ms after the game day's start */
  atMs: number;
  bind: Bindings;
  /** file:line:col */
  source: string;
}

export interface GameDay {
  name: string;
  description?: string;
  schedule: Schedule;
  bind: Bindings;
  steps: GameDayStep[];
  file: string;
}

// ---------------------------------------------------------------------------------------------------------
// schedule

interface CronField {
  min: number;
  max: number;
}
const CRON_FIELDS: CronField[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12 },
  { min: 0, max: 7 },
];

function cronSet(field: string, f: CronField): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const lo = m[1] === '*' ? f.min : Number(m[2]);
    const hi = m[1] === '*' ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < f.min || hi > f.max || lo > hi || step < 1) return undefined;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Checks a 5-field cron expression (minute hour day-of-month month day-of-week; *, lists, ranges, steps). */
export function parseCron(expr: string): Set<number>[] | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const sets = fields.map((f, i) => cronSet(f, CRON_FIELDS[i] as CronField));
  if (sets.some((s) => s === undefined)) return undefined;
  const dow = sets[4] as Set<number>;
  if (dow.has(7)) dow.add(0);
  return sets as Set<number>[];
}

/** The next minute (local time) at or after `fromMs` that matches the cron expression; within a year or undefined. */
export function nextCronTime(expr: string, fromMs: number): number | undefined {
  const sets = parseCron(expr);
  if (!sets) return undefined;
  const [mi, h, dom, mon, dow] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const d = new Date(fromMs);
  if (d.getSeconds() !== 0 || d.getMilliseconds() !== 0) d.setMinutes(d.getMinutes() + 1, 0, 0);
  // like cron: when both day fields are restricted, either may match
  const domAll = dom.size === 31;
  const dowAll = dow.size >= 7;
  for (let i = 0; i < 366 * 24 * 60; i++) {
    const dayOk = domAll || dowAll ? dom.has(d.getDate()) && dow.has(d.getDay()) : dom.has(d.getDate()) || dow.has(d.getDay());
    if (mon.has(d.getMonth() + 1) && dayOk && h.has(d.getHours()) && mi.has(d.getMinutes())) return d.getTime();
    d.setMinutes(d.getMinutes() + 1);
  }
  return undefined;
}

export function parseSchedule(value: unknown): Schedule | undefined {
  if (value === undefined || value === 'now') return { kind: 'now' };
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  if (/^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s))) return { kind: 'at', atMs: Date.parse(s) };
  const cron = s.startsWith('cron:') ? s.slice(5).trim() : s;
  return parseCron(cron) ? { kind: 'cron', expr: cron } : undefined;
}

/** When a game day with this schedule starts, seen from `nowMs` (an ISO time in the past starts now). */
export function startTime(s: Schedule, nowMs: number): number {
  switch (s.kind) {
    case 'now':
      return nowMs;
    case 'at':
      return Math.max(nowMs, s.atMs);
    case 'cron':
      return nextCronTime(s.expr, nowMs) ?? nowMs;
  }
}

// ---------------------------------------------------------------------------------------------------------
// loading

const GAMEDAY_KEYS = ['name', 'description', 'schedule', 'bind', 'steps'];
const STEP_KEYS = ['card', 'at', 'bind'];

/**
 * Reads and validates a game day file; with `cards`, step cards must exist in the catalogue.
 * Throws FL_ERR_GAMEDAY_INVALID listing every problem with file:line:col and field.
 */
export function loadGameDay(file: string, cards?: readonly FailureCard[]): GameDay {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new FaultlineError('FL_ERR_GAMEDAY_INVALID', `cannot read the game day file ${file}: ${(cause as Error).message}`, { cause });
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const shown = relative(process.cwd(), file) || file;
  const at = (offset: number | undefined): string => {
    const p = lc.linePos(offset ?? 0);
    return `${shown}:${p.line}:${p.col}`;
  };
  const problems: string[] = [];
  for (const e of doc.errors) problems.push(`${at(e.pos[0])} (yaml): ${e.message.split('\n')[0] as string}`);
  const root = doc.contents;
  if (problems.length === 0 && !isMap(root)) problems.push(`${at(0)} (file): a game day is a mapping with name, schedule, steps`);
  const nodeAt = (path: (string | number)[]): string => {
    let cur: unknown = root;
    let best = (root as YamlNode | null)?.range?.[0];
    for (const k of path) {
      if (!isMap(cur) && !isSeq(cur)) break;
      const next = (cur as { get(k: unknown, keep: true): unknown }).get(k, true) as YamlNode | undefined;
      if (!next) break;
      best = next.range?.[0] ?? best;
      cur = next;
    }
    return at(best);
  };
  const problem = (path: (string | number)[], msg: string): void => void problems.push(`${nodeAt(path)} ${path.join('.')}: ${msg}`);
  const bindings = (path: (string | number)[], v: unknown): Bindings => {
    if (v === undefined) return {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      problem(path, 'must be a mapping of variable name → value');
      return {};
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  };

  let gd: GameDay | undefined;
  if (problems.length === 0 && isMap(root)) {
    const raw = root.toJSON() as Record<string, unknown>;
    for (const k of Object.keys(raw)) if (!GAMEDAY_KEYS.includes(k)) problem([k], `unknown field; expected one of ${GAMEDAY_KEYS.join(', ')}`);
    if (typeof raw.name !== 'string' || raw.name.trim() === '') problem(['name'], 'is required (a non-empty string)');
    const schedule = parseSchedule(raw.schedule);
    if (!schedule) problem(['schedule'], `"${String(raw.schedule)}" is not "now", an ISO time (2025-06-01T10:00:00Z) or a 5-field cron expression ("0 10 * * 1")`);
    const bind = bindings(['bind'], raw.bind);
    const steps: GameDayStep[] = [];
    if (!Array.isArray(raw.steps) || raw.steps.length === 0) problem(['steps'], 'is required: a non-empty list of {card, at, bind}');
    else
      raw.steps.forEach((s: unknown, i: number) => {
        if (typeof s !== 'object' || s === null || Array.isArray(s)) return problem(['steps', i], 'must be a mapping {card, at, bind}');
        const st = s as Record<string, unknown>;
        for (const k of Object.keys(st)) if (!STEP_KEYS.includes(k)) problem(['steps', i, k], `unknown field; expected one of ${STEP_KEYS.join(', ')}`);
        if (typeof st.card !== 'string') return problem(['steps', i, 'card'], 'is required (a card id)');
        if (cards && !cards.some((c) => c.id === st.card)) problem(['steps', i, 'card'], `no card "${st.card}" in the catalogue (\`faultline cards\` lists them)`);
        let atMs = 0;
        if (st.at !== undefined) {
          const m = /^\+?\s*(.+)$/.exec(String(st.at));
          try {
            atMs = parseDurationMs(m ? (m[1] as string) : String(st.at), `steps[${i}].at`);
          } catch {
            problem(['steps', i, 'at'], `"${String(st.at)}" is not an offset; use +0s, +30s, +2m`);
          }
        }
        steps.push({ card: st.card, atMs, bind: bindings(['steps', i, 'bind'], st.bind), source: nodeAt(['steps', i]) });
      });
    if (schedule && typeof raw.name === 'string') {
      gd = { name: raw.name, ...(typeof raw.description === 'string' ? { description: raw.description } : {}), schedule, bind, steps: steps.sort((a, b) => a.atMs - b.atMs), file };
    }
  }
  if (problems.length > 0 || !gd) throw new FaultlineError('FL_ERR_GAMEDAY_INVALID', `invalid game day:\n${problems.map((p) => `  ${p}`).join('\n')}`, { context: { problems } });
  return gd;
}
