/**
 * `npm audit --json` → the dependency-health extra of the gate.
 * - npm 7 and later (auditReportVersion 2, written by @npmcli/arborist's AuditReport#toJSON):
 *   { auditReportVersion: 2, vulnerabilities: { <package>: { name, severity, isDirect, via, effects, range, nodes,
 *     fixAvailable: boolean | {name, version, isSemVerMajor} } }, metadata: { vulnerabilities: { info, low,
 *     moderate, high, critical, total }, dependencies: { prod, dev, optional, peer, peerOptional, total } } }
 *   The counts are vulnerable *packages* (a package that is only vulnerable through a dependency counts too).
 * - npm 6: { actions, advisories: { <id>: { module_name, severity, findings: [{version, paths}], … } }, muted,
 *   metadata: { vulnerabilities: { info, low, moderate, high, critical }, dependencies, devDependencies,
 *   optionalDependencies, totalDependencies }, runId }. npm 6 counted vulnerable *paths* (npm/cli#4272), so its
 *   numbers run higher than npm 7's for the same tree; `unit` says which one a report has.
 * - npm's own failure output ({ error: { code, summary, detail } }, e.g. ENOLOCK, or the registry unreachable)
 *   is an error here, carrying npm's words.
 *
 * Health score (0–1, 1 = no known vulnerability):
 *   health = 1 − min(1, (10·critical + 5·high + 2·moderate + 1·low) / 20), info not counted.
 * One critical halves it; two criticals, four highs, ten moderates or twenty lows bring it to 0. Rounded to 4 decimals.
 */
import type { GateExtras } from '../../core/promote.js';
import { fieldPath, isRecord, parseJsonReport, reportError } from './report-error.js';
import { nodeTextFiles, readReportText, type ReadReportOptions } from './text-files.js';

const CODE = 'FL_ERR_AUDIT_REPORT';

export type DependencyHealth = NonNullable<GateExtras['dependencyHealth']>;
export const AUDIT_SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
export type AuditSeverity = (typeof AUDIT_SEVERITIES)[number];

/** Weights of the health score, per severity (see the file comment). */
export const HEALTH_WEIGHTS: Record<AuditSeverity, number> = { info: 0, low: 1, moderate: 2, high: 5, critical: 10 };
export const HEALTH_SCALE = 20;

export interface AuditPackage {
  name: string;
  severity: AuditSeverity;
  /** npm 7+: a dependency named in package.json */
  isDirect?: boolean;
  /** npm 7+: `npm audit fix` can fix it (semver-major means with --force) */
  fixAvailable?: boolean | 'semver-major';
}

export interface AuditReport {
  source: string;
  format: 'npm7' | 'npm6';
  /** what the counts count */
  unit: 'packages' | 'paths';
  counts: DependencyHealth;
  /** 0–1 */
  healthScore: number;
  /** dependencies audited, when npm says */
  dependencies?: number;
  /** vulnerable packages (npm 7+) or advisories' modules (npm 6), most severe first */
  packages: AuditPackage[];
}

export function healthScore(c: Pick<DependencyHealth, 'critical' | 'high' | 'moderate' | 'low'>): number {
  const weighted = HEALTH_WEIGHTS.critical * c.critical + HEALTH_WEIGHTS.high * c.high + HEALTH_WEIGHTS.moderate * c.moderate + HEALTH_WEIGHTS.low * c.low;
  return Math.round((1 - Math.min(1, weighted / HEALTH_SCALE)) * 10_000) / 10_000;
}

function isSeverity(s: unknown): s is AuditSeverity {
  return typeof s === 'string' && (AUDIT_SEVERITIES as readonly string[]).includes(s);
}

function countOf(source: string, v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw reportError(CODE, source, `is not a count (integer ≥ 0): ${JSON.stringify(v ?? null)}`, { field });
  return v;
}

function metadataCounts(source: string, meta: unknown, requireTotal: boolean): DependencyHealth | undefined {
  if (!isRecord(meta) || meta.vulnerabilities === undefined) return undefined;
  const v = meta.vulnerabilities;
  if (!isRecord(v)) throw reportError(CODE, source, 'is not an object of counts', { field: 'metadata.vulnerabilities' });
  const c = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 };
  for (const s of AUDIT_SEVERITIES) c[s] = countOf(source, v[s], `metadata.vulnerabilities.${s}`);
  const sum = c.info + c.low + c.moderate + c.high + c.critical;
  if (v.total === undefined && !requireTotal) c.total = sum;
  else {
    c.total = countOf(source, v.total, 'metadata.vulnerabilities.total');
    if (c.total !== sum) throw reportError(CODE, source, `total ${c.total} is not the sum of the severities (${sum})`, { field: 'metadata.vulnerabilities.total' });
  }
  return c;
}

function bySeverity(a: AuditPackage, b: AuditPackage): number {
  const d = AUDIT_SEVERITIES.indexOf(b.severity) - AUDIT_SEVERITIES.indexOf(a.severity);
  return d !== 0 ? d : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function parseNpmAudit(text: string, opts: { source: string }): AuditReport {
  const { source } = opts;
  const json = parseJsonReport(CODE, source, text);
  if (!isRecord(json)) throw reportError(CODE, source, 'is not a JSON object');
  if (isRecord(json.error)) {
    const e = json.error;
    const words = [e.code, e.summary].filter((x) => typeof x === 'string' && x !== '').join(': ');
    throw reportError(CODE, source, `is npm's error output, not an audit: ${words || JSON.stringify(e).slice(0, 200)}`, { field: 'error' });
  }
  if (json.auditReportVersion !== undefined) {
    if (json.auditReportVersion !== 2) throw reportError(CODE, source, `${JSON.stringify(json.auditReportVersion)} is not supported (2, from npm 7 or later)`, { field: 'auditReportVersion' });
    return parseV2(source, json);
  }
  if (isRecord(json.advisories)) return parseV6(source, json);
  throw reportError(CODE, source, 'has neither auditReportVersion (npm 7+) nor advisories (npm 6); save it with `npm audit --json`');
}

function parseV2(source: string, json: Record<string, unknown>): AuditReport {
  const vulns = json.vulnerabilities;
  if (!isRecord(vulns)) throw reportError(CODE, source, 'is missing or not an object', { field: 'vulnerabilities' });
  const packages: AuditPackage[] = [];
  const fromEntries = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 };
  for (const [name, v] of Object.entries(vulns)) {
    const f = fieldPath('vulnerabilities', name);
    if (!isRecord(v)) throw reportError(CODE, source, 'is not an object', { field: f });
    if (!isSeverity(v.severity)) throw reportError(CODE, source, `${JSON.stringify(v.severity ?? null)} is not one of ${AUDIT_SEVERITIES.join(', ')}`, { field: fieldPath(f, 'severity') });
    const p: AuditPackage = { name: typeof v.name === 'string' ? v.name : name, severity: v.severity };
    if (typeof v.isDirect === 'boolean') p.isDirect = v.isDirect;
    if (typeof v.fixAvailable === 'boolean') p.fixAvailable = v.fixAvailable;
    else if (isRecord(v.fixAvailable)) p.fixAvailable = v.fixAvailable.isSemVerMajor === true ? 'semver-major' : true;
    packages.push(p);
    fromEntries[v.severity]++;
    fromEntries.total++;
  }
  const counts = metadataCounts(source, json.metadata, true) ?? fromEntries;
  const out: AuditReport = { source, format: 'npm7', unit: 'packages', counts, healthScore: healthScore(counts), packages: packages.sort(bySeverity) };
  const deps = isRecord(json.metadata) && isRecord(json.metadata.dependencies) ? json.metadata.dependencies.total : undefined;
  if (deps !== undefined) out.dependencies = countOf(source, deps, 'metadata.dependencies.total');
  return out;
}

function parseV6(source: string, json: Record<string, unknown>): AuditReport {
  const advisories = json.advisories as Record<string, unknown>;
  const worst = new Map<string, AuditSeverity>();
  const paths = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 };
  for (const [id, a] of Object.entries(advisories)) {
    const f = fieldPath('advisories', id);
    if (!isRecord(a)) throw reportError(CODE, source, 'is not an object', { field: f });
    if (typeof a.module_name !== 'string') throw reportError(CODE, source, 'is missing', { field: fieldPath(f, 'module_name') });
    if (!isSeverity(a.severity)) throw reportError(CODE, source, `${JSON.stringify(a.severity ?? null)} is not one of ${AUDIT_SEVERITIES.join(', ')}`, { field: fieldPath(f, 'severity') });
    const prev = worst.get(a.module_name);
    if (prev === undefined || AUDIT_SEVERITIES.indexOf(a.severity) > AUDIT_SEVERITIES.indexOf(prev)) worst.set(a.module_name, a.severity);
    const findings = Array.isArray(a.findings) ? a.findings : [];
    const n = findings.reduce<number>((sum, x) => sum + (isRecord(x) && Array.isArray(x.paths) ? x.paths.length : 1), 0);
    paths[a.severity] += n;
    paths.total += n;
  }
  const counts = metadataCounts(source, json.metadata, false) ?? paths;
  const packages = [...worst].map(([name, severity]) => ({ name, severity })).sort(bySeverity);
  const out: AuditReport = { source, format: 'npm6', unit: 'paths', counts, healthScore: healthScore(counts), packages };
  const deps = isRecord(json.metadata) ? json.metadata.totalDependencies : undefined;
  if (deps !== undefined) out.dependencies = countOf(source, deps, 'metadata.totalDependencies');
  return out;
}

/** Read and parse a saved `npm audit --json`. */
export async function readNpmAudit(file: string, opts: Pick<ReadReportOptions, 'files'> = {}): Promise<AuditReport> {
  const text = await readReportText(CODE, file, opts.files ?? nodeTextFiles);
  return parseNpmAudit(text, { source: file });
}
