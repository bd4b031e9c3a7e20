/**
 * The release registry: <stateDir>/releases.jsonl, one ReleaseRecord per promotion of a module, appended with
 * O_APPEND so the CLI and the server can both write. A release appended again with the same id replaces the
 * earlier entry (a promotion recorded as 'promoted', then 'stable' or 'rolled-back', keeps one entry). A torn
 * last line (a writer killed mid-write) is skipped.
 *
 * The registry is what a rollback returns to (`previousStable`) and what the gate's coverage raise is computed
 * from (src/promote/raise.ts).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonlLog } from './jsonl.js';
import { FaultlineError } from '../core/errors.js';
import { GATE_DECISIONS, RELEASE_STATUSES, type ReleaseRecord, type ReleaseStatus } from '../core/promote.js';

export const RELEASES_FILE = 'releases.jsonl';

const isIso = (s: unknown): boolean => typeof s === 'string' && s.length > 0 && !Number.isNaN(Date.parse(s));
const isNonEmpty = (s: unknown): s is string => typeof s === 'string' && s.length > 0;
const isPct = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 100;

function checkRelease(r: ReleaseRecord): void {
  const bad = (field: string, what: string): never => {
    throw new FaultlineError('FL_ERR_RELEASE_RECORD_INVALID', `release record ${JSON.stringify((r as Partial<ReleaseRecord> | null)?.id ?? '')}: ${field} ${what}`, { context: { field } });
  };
  if (r === null || typeof r !== 'object') bad('record', 'must be an object');
  if (!isNonEmpty(r.id)) bad('id', 'must be a non-empty string (newReleaseId makes one)');
  if (!isNonEmpty(r.module)) bad('module', 'must be a non-empty module name');
  if (!isNonEmpty(r.version)) bad('version', 'must be a non-empty string');
  if (r.commit !== undefined && !isNonEmpty(r.commit)) bad('commit', 'must be a non-empty string when given');
  if (r.artifact !== undefined && !isNonEmpty(r.artifact)) bad('artifact', 'must be a non-empty string when given');
  if (!GATE_DECISIONS.includes(r.decision)) bad('decision', `must be one of ${GATE_DECISIONS.join(', ')}`);
  if (typeof r.fis !== 'number' || !Number.isFinite(r.fis) || r.fis < 0 || r.fis > 1) bad('fis', 'must be a number from 0 to 1');
  if (!isPct(r.coverage)) bad('coverage', 'must be a percentage from 0 to 100');
  if (r.requiredCoverage !== null && !isPct(r.requiredCoverage)) bad('requiredCoverage', 'must be a percentage from 0 to 100, or null when blocked');
  if (!RELEASE_STATUSES.includes(r.status)) bad('status', `must be one of ${RELEASE_STATUSES.join(', ')}`);
  if (!isIso(r.at)) bad('at', 'must be an ISO-8601 time');
  if (r.rollback !== undefined) {
    const b = r.rollback;
    if (b === null || typeof b !== 'object') bad('rollback', 'must be an object');
    if (!isIso(b.at)) bad('rollback.at', 'must be an ISO-8601 time');
    if (typeof b.reason !== 'string') bad('rollback.reason', 'must be a string');
    if (!isNonEmpty(b.adapter)) bad('rollback.adapter', 'must name the adapter');
    if (b.to !== undefined && !isNonEmpty(b.to)) bad('rollback.to', 'must be a release id when given');
  }
  if (r.status === 'rolled-back' && r.rollback === undefined) bad('rollback', 'is required for a rolled-back release (when, why, to which release, by which adapter)');
}

/** Appends one release to <stateDir>/releases.jsonl (creating the folder); an existing id is replaced on read. */
export function appendRelease(stateDir: string, r: ReleaseRecord): void {
  checkRelease(r);
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, RELEASES_FILE);
  let lead = '';
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) lead = '\n';
  }
  appendFileSync(path, lead + JSON.stringify(r) + '\n');
}

export interface ReleaseLog {
  /** the latest version of each release, chronological (by `at`, then by first appearance) */
  records: ReleaseRecord[];
  /** lines that were not valid records (torn writes), skipped */
  skipped: number;
}

/** Reads the whole registry; a release appended again with the same id replaces the earlier one. */
export function readReleaseLog(stateDir: string): ReleaseLog {
  const log = readJsonlLog<ReleaseRecord>(join(stateDir, RELEASES_FILE), (j) => isNonEmpty(j.id) && isNonEmpty(j.module) && RELEASE_STATUSES.includes(j.status) && isIso(j.at));
  // stable sort: equal times keep the order in which the ids first appeared
  const records = log.records.map((r, i) => ({ r, i, t: Date.parse(r.at) })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.r);
  return { records, skipped: log.skipped };
}

export interface ReleaseQuery {
  module?: string;
  status?: ReleaseStatus;
}

/** The releases in the registry, oldest first, filtered. */
export function listReleases(stateDir: string, q: ReleaseQuery = {}): ReleaseRecord[] {
  return readReleaseLog(stateDir).records.filter((r) => (q.module === undefined || r.module === q.module) && (q.status === undefined || r.status === q.status));
}

/** One release by id, or undefined. */
export function findRelease(stateDir: string, id: string): ReleaseRecord | undefined {
  return readReleaseLog(stateDir).records.find((r) => r.id === id);
}

/** One release by id, or FL_ERR_RELEASE_NOT_FOUND. */
export function findReleaseOrThrow(stateDir: string, id: string): ReleaseRecord {
  const r = findRelease(stateDir, id);
  if (r === undefined) throw new FaultlineError('FL_ERR_RELEASE_NOT_FOUND', `no release with id ${id} in ${join(stateDir, RELEASES_FILE)}; \`faultline releases\` or GET /v1/releases lists them`, { context: { id } });
  return r;
}

/** The newest release of a module, whatever its status, or undefined. */
export function latestRelease(stateDir: string, module: string): ReleaseRecord | undefined {
  return listReleases(stateDir, { module }).at(-1);
}

/**
 * What a rollback returns to: the newest 'stable' release of the module that is older than `beforeId` (all of
 * them when absent) and is not the same version as it (rolling back to the version that failed changes nothing).
 * Undefined when there is none. An unknown `beforeId`, or one of another module, is FL_ERR_RELEASE_NOT_FOUND.
 */
export function previousStable(stateDir: string, module: string, beforeId?: string): ReleaseRecord | undefined {
  const all = listReleases(stateDir, { module });
  let upTo = all.length;
  let version: string | undefined;
  if (beforeId !== undefined) {
    upTo = all.findIndex((r) => r.id === beforeId);
    if (upTo < 0) throw new FaultlineError('FL_ERR_RELEASE_NOT_FOUND', `no release ${beforeId} of module ${module} in ${join(stateDir, RELEASES_FILE)}`, { context: { id: beforeId, module } });
    version = all[upTo]?.version;
  }
  for (let i = upTo - 1; i >= 0; i--) {
    const r = all[i];
    if (r !== undefined && r.status === 'stable' && r.version !== version) return r;
  }
  return undefined;
}

const slug = (s: string): string => s.replace(/^@/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';

/** A release id: `<module>-<version>-<UTC time to the ms>`, safe in a URL path and a file name, e.g. `api-2.0.0-20250102T030405678Z`. */
export function newReleaseId(module: string, version: string, now: number | Date = Date.now()): string {
  const t = new Date(now).toISOString().replace(/[-:.]/g, '');
  return `${slug(module)}-${slug(version)}-${t}`;
}
