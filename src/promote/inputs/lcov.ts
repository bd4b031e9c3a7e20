/**
 * lcov tracefiles (lcov.info, `geninfo(1)` format; c8/nyc `--reporter=lcov`). One record per source file:
 *   TN:<test name>  SF:<path>  FN:<line>[,<end line>],<name>  FNDA:<hits>,<name>  FNF:<n>  FNH:<n>
 *   FNL:<idx>,<line>[,<end>]  FNA:<idx>,<hits>,<name>   (lcov 2.2 function records)
 *   DA:<line>,<hits>[,<checksum>]  LF:<n>  LH:<n>  BRDA:<line>,[e]<block>,<branch>,<taken|->  BRF:<n>  BRH:<n>
 *   end_of_record
 * Totals: LF/LH, FNF/FNH, BRF/BRH when present; otherwise counted from DA, FN/FNDA (or FNL/FNA) and BRDA.
 * A file that appears in several records (concatenated tracefiles) is merged line by line: a line is covered when
 * any record hit it; summary counts alone cannot be merged, so such a file needs DA records.
 * Unknown record types (VER:, MCDC…) are ignored; comments (#) and blank lines are skipped.
 */
import type { CoverageCounts, CoverageParseOptions, CoverageReport, FileCoverage } from './coverage-types.js';
import { resolveReportPath } from './paths.js';
import { reportError } from './report-error.js';
import { uniqueSortedFiles } from './file-list.js';

const CODE = 'FL_ERR_COVERAGE_REPORT';

/** First meaningful line starts with TN:, SF: or VER:. */
export function looksLikeLcov(text: string): boolean {
  for (const raw of text.split('\n', 50)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return /^(TN|SF|VER):/.test(line);
  }
  return false;
}

interface LcovRecord {
  sf: string;
  sfLine: number;
  da: Map<number, number>;
  /** function name → hits (FNDA) and names declared (FN) */
  fnHits: Map<string, number>;
  fnDeclared: Set<string>;
  brda: Map<string, number>;
  lf?: number;
  lh?: number;
  fnf?: number;
  fnh?: number;
  brf?: number;
  brh?: number;
}

function newRecord(sf: string, sfLine: number): LcovRecord {
  return { sf, sfLine, da: new Map(), fnHits: new Map(), fnDeclared: new Set(), brda: new Map() };
}

export function parseLcov(text: string, opts: CoverageParseOptions): CoverageReport {
  const source = opts.source;
  if (text.trim() === '') throw reportError(CODE, source, 'is empty');
  const records: LcovRecord[] = [];
  let cur: LcovRecord | undefined;
  const lines = text.split('\n');

  const int = (v: string | undefined, lineNo: number, what: string, min = 0): number => {
    const s = (v ?? '').trim();
    if (!/^-?\d+$/.test(s) || Number(s) < min) throw reportError(CODE, source, `${what} is not an integer ≥ ${min}: ${JSON.stringify(v ?? '')}`, { line: lineNo });
    return Number(s);
  };
  const hits = (v: string | undefined, lineNo: number, what: string): number => {
    const s = (v ?? '').trim();
    // gcov writes hit counts beyond 2^53 in some tools as floats; accept any non-negative number
    if (!/^\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s)) throw reportError(CODE, source, `${what} is not a hit count: ${JSON.stringify(v ?? '')}`, { line: lineNo });
    return Number(s);
  };

  for (let k = 0; k < lines.length; k++) {
    const lineNo = k + 1;
    const line = (lines[k] as string).replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line === 'end_of_record') {
      if (cur === undefined) throw reportError(CODE, source, 'end_of_record without an SF: record before it', { line: lineNo });
      records.push(cur);
      cur = undefined;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw reportError(CODE, source, `is not an lcov record (KEY:value or end_of_record): ${JSON.stringify(line.slice(0, 80))}`, { line: lineNo });
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (key === 'TN' || key === 'VER') continue;
    if (key === 'SF') {
      if (cur !== undefined) throw reportError(CODE, source, `SF:${value} starts a record while SF:${cur.sf} (line ${cur.sfLine}) has no end_of_record`, { line: lineNo });
      if (value.trim() === '') throw reportError(CODE, source, 'SF: names no file', { line: lineNo });
      cur = newRecord(value.trim(), lineNo);
      continue;
    }
    if (cur === undefined) throw reportError(CODE, source, `${key}: record outside a file record (no SF: before it)`, { line: lineNo });
    const parts = value.split(',');
    switch (key) {
      case 'DA': {
        const l = int(parts[0], lineNo, 'DA line', 1);
        const h = hits(parts[1], lineNo, 'DA hits');
        cur.da.set(l, (cur.da.get(l) ?? 0) + h);
        break;
      }
      case 'FN': {
        // FN:<line>,<name> or FN:<line>,<end line>,<name>; names may contain commas (C++), so the name is the rest
        int(parts[0], lineNo, 'FN line');
        const hasEnd = parts.length >= 3 && /^\d+$/.test((parts[1] ?? '').trim());
        const name = parts.slice(hasEnd ? 2 : 1).join(',');
        if (name === '') throw reportError(CODE, source, 'FN: has no function name', { line: lineNo });
        cur.fnDeclared.add(name);
        break;
      }
      case 'FNDA': {
        const h = hits(parts[0], lineNo, 'FNDA hits');
        const name = parts.slice(1).join(',');
        if (name === '') throw reportError(CODE, source, 'FNDA: has no function name', { line: lineNo });
        cur.fnHits.set(name, (cur.fnHits.get(name) ?? 0) + h);
        break;
      }
      case 'FNL': {
        // lcov 2.2: FNL:<index>,<line>[,<end line>] declares function <index>; FNA:<index>,<hits>,<alias> counts it
        int(parts[1], lineNo, 'FNL line');
        cur.fnDeclared.add(`#${int(parts[0], lineNo, 'FNL index')}`);
        break;
      }
      case 'FNA': {
        const name = `#${int(parts[0], lineNo, 'FNA index')}`;
        const h = hits(parts[1], lineNo, 'FNA hits');
        cur.fnDeclared.add(name);
        cur.fnHits.set(name, (cur.fnHits.get(name) ?? 0) + h);
        break;
      }
      case 'BRDA': {
        if (parts.length < 4) throw reportError(CODE, source, `BRDA needs line,block,branch,taken: ${JSON.stringify(value)}`, { line: lineNo });
        int(parts[0], lineNo, 'BRDA line');
        const taken = (parts[3] ?? '').trim();
        const h = taken === '-' ? 0 : hits(taken, lineNo, 'BRDA taken');
        const id = `${(parts[0] ?? '').trim()},${(parts[1] ?? '').trim()},${(parts[2] ?? '').trim()}`;
        cur.brda.set(id, (cur.brda.get(id) ?? 0) + h);
        break;
      }
      case 'LF':
        cur.lf = int(value, lineNo, 'LF');
        break;
      case 'LH':
        cur.lh = int(value, lineNo, 'LH');
        break;
      case 'FNF':
        cur.fnf = int(value, lineNo, 'FNF');
        break;
      case 'FNH':
        cur.fnh = int(value, lineNo, 'FNH');
        break;
      case 'BRF':
        cur.brf = int(value, lineNo, 'BRF');
        break;
      case 'BRH':
        cur.brh = int(value, lineNo, 'BRH');
        break;
      default:
        break; // other record types (MCDC, …) do not change line, function or branch totals
    }
  }
  if (cur !== undefined) throw reportError(CODE, source, `SF:${cur.sf} (line ${cur.sfLine}) has no end_of_record (truncated?)`, { line: lines.length });
  if (records.length === 0) throw reportError(CODE, source, 'has no SF: record');

  const bySf = new Map<string, LcovRecord[]>();
  for (const r of records) {
    const { path } = resolveReportPath(r.sf, opts.root);
    const list = bySf.get(path) ?? [];
    list.push(r);
    bySf.set(path, list);
  }
  const files: FileCoverage[] = [];
  for (const [, recs] of bySf) files.push(fileOf(recs, opts));
  return { format: 'lcov', source, files: uniqueSortedFiles(files, source) };
}

function summed(a: number | undefined, b: number | undefined): CoverageCounts | undefined {
  return a === undefined || b === undefined ? undefined : { total: a, covered: b };
}

function fileOf(recs: LcovRecord[], opts: CoverageParseOptions): FileCoverage {
  const first = recs[0] as LcovRecord;
  const { path, outsideRoot } = resolveReportPath(first.sf, opts.root);
  const check = (c: CoverageCounts | undefined, what: string, r: LcovRecord): CoverageCounts | undefined => {
    if (c !== undefined && c.covered > c.total) throw reportError(CODE, opts.source, `${what} for SF:${r.sf}: hit ${c.covered} is more than found ${c.total}`, { line: r.sfLine });
    return c;
  };

  const da = new Map<number, number>();
  for (const r of recs) for (const [l, h] of r.da) da.set(l, (da.get(l) ?? 0) + h);
  const withDa = recs.some((r) => r.da.size > 0);
  let lines: CoverageCounts;
  if (recs.length === 1 && first.lf !== undefined && first.lh !== undefined) {
    lines = check(summed(first.lf, first.lh), 'LF/LH', first) as CoverageCounts;
  } else if (recs.length > 1 && recs.some((r) => r.da.size === 0 && (r.lf ?? 0) > 0)) {
    throw reportError(CODE, opts.source, `SF:${first.sf} appears in ${recs.length} records and one has LF/LH but no DA lines; such records cannot be merged`, { line: first.sfLine });
  } else {
    let covered = 0;
    for (const h of da.values()) if (h > 0) covered++;
    lines = { covered, total: da.size };
  }
  const uncoveredLines = withDa ? [...da].filter(([, h]) => h === 0).map(([l]) => l).sort((x, y) => x - y) : undefined;

  const fc: FileCoverage = { path, lines };
  const single = recs.length === 1;
  // functions
  const declared = new Set<string>();
  const fnHits = new Map<string, number>();
  for (const r of recs) {
    r.fnDeclared.forEach((n) => declared.add(n));
    for (const [n, h] of r.fnHits) fnHits.set(n, (fnHits.get(n) ?? 0) + h);
  }
  if (single && first.fnf !== undefined && first.fnh !== undefined) fc.functions = check(summed(first.fnf, first.fnh), 'FNF/FNH', first);
  else if (declared.size > 0 || fnHits.size > 0) {
    const names = new Set([...declared, ...fnHits.keys()]);
    let covered = 0;
    for (const n of names) if ((fnHits.get(n) ?? 0) > 0) covered++;
    fc.functions = { covered, total: names.size };
  }
  // branches
  const brda = new Map<string, number>();
  for (const r of recs) for (const [id, h] of r.brda) brda.set(id, (brda.get(id) ?? 0) + h);
  if (single && first.brf !== undefined && first.brh !== undefined) fc.branches = check(summed(first.brf, first.brh), 'BRF/BRH', first);
  else if (brda.size > 0) {
    let covered = 0;
    for (const h of brda.values()) if (h > 0) covered++;
    fc.branches = { covered, total: brda.size };
  }
  if (uncoveredLines !== undefined) fc.uncoveredLines = uncoveredLines;
  if (outsideRoot) fc.outsideRoot = true;
  return fc;
}
