/**
 * Cobertura XML (c8/nyc `--reporter=cobertura` → cobertura-coverage.xml; also coverage.py, JaCoCo converters):
 *   <coverage><sources><source>/abs/root</source></sources>
 *     <packages><package><classes><class filename="src/a.js" line-rate branch-rate>
 *       <methods><method name hits><lines>…</lines></method></methods>
 *       <lines><line number="3" hits="1" branch="true" condition-coverage="50% (1/2)"/></lines>
 *     </class></classes></package></packages></coverage>
 * Lines are counted from the class's own <lines> (not the copies under <methods>): a line is covered when hits > 0.
 * Branches are the (covered/total) of condition-coverage, functions the <method> elements (hits > 0 covered).
 * Filenames are relative to a <source>: with several, the first one that puts the file under `root` wins.
 * Several <class> elements for one file (inner classes) are merged line by line.
 */
import type { CoverageCounts, CoverageParseOptions, CoverageReport, FileCoverage } from './coverage-types.js';
import { isAbsoluteReportPath, resolveReportPath, type ResolvedReportPath } from './paths.js';
import { lineColumnAt, reportError } from './report-error.js';
import { childrenNamed, descend, parseXml, type XmlElement } from './xml.js';
import { uniqueSortedFiles } from './file-list.js';

const CODE = 'FL_ERR_COVERAGE_REPORT';

/** XML whose root element is <coverage> (checked cheaply: a `<coverage` start tag somewhere in the text). */
export function looksLikeCobertura(text: string): boolean {
  return text.trimStart().replace(/^\uFEFF/, '').startsWith('<') && /<coverage[\s>/]/.test(text);
}

interface Acc {
  resolved: ResolvedReportPath;
  lineHits: Map<number, number>;
  /** line → [covered, total] conditions */
  conditions: Map<number, [number, number]>;
  functions?: CoverageCounts;
}

export function parseCobertura(text: string, opts: CoverageParseOptions): CoverageReport {
  const source = opts.source;
  if (text.trim() === '') throw reportError(CODE, source, 'is empty');
  const parsed = parseXml(text);
  if (!parsed.ok) throw reportError(CODE, source, `is not well-formed XML: ${parsed.message}`, { line: parsed.line, column: parsed.column });
  const root = parsed.root;
  const at = (el: XmlElement): { line: number; column: number } => lineColumnAt(text, el.offset);
  if (root.name !== 'coverage') throw reportError(CODE, source, `has root element <${root.name}>; a cobertura report has <coverage>`, at(root));

  const sources = descend(root, 'sources', 'source')
    .map((s) => s.text.trim())
    .filter((s) => s !== '');
  const resolve = (filename: string): ResolvedReportPath => {
    if (isAbsoluteReportPath(filename) || sources.length === 0) return resolveReportPath(filename, opts.root);
    if (opts.root === undefined) return resolveReportPath(filename); // relative to <source>, which stands for the root
    let firstTry: ResolvedReportPath | undefined;
    for (const base of sources) {
      const r = resolveReportPath(filename, opts.root, base);
      if (!r.outsideRoot) return r;
      firstTry ??= r;
    }
    return firstTry as ResolvedReportPath;
  };

  const byPath = new Map<string, Acc>();
  for (const cls of descend(root, 'packages', 'package', 'classes', 'class')) {
    const filename = cls.attributes.filename;
    if (filename === undefined || filename.trim() === '') throw reportError(CODE, source, '<class> has no filename attribute', { ...at(cls), field: 'class@filename' });
    const resolved = resolve(filename);
    let acc = byPath.get(resolved.path);
    if (acc === undefined) {
      acc = { resolved, lineHits: new Map(), conditions: new Map() };
      byPath.set(resolved.path, acc);
    }
    for (const line of descend(cls, 'lines', 'line')) readLine(line, acc);
    const methodsEls = childrenNamed(cls, 'methods');
    if (methodsEls.length > 0) {
      const fns = acc.functions ?? { covered: 0, total: 0 };
      for (const m of descend(cls, 'methods', 'method')) {
        fns.total++;
        if (count(m, 'hits', 'method@hits') > 0) fns.covered++;
      }
      acc.functions = fns;
    }
  }

  function count(el: XmlElement, attr: string, field: string): number {
    const raw = el.attributes[attr];
    const v = raw === undefined ? NaN : Number(raw);
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(v) || v < 0) {
      throw reportError(CODE, source, `${attr}=${JSON.stringify(raw ?? null)} is not a number ≥ 0`, { ...at(el), field });
    }
    return v;
  }

  function readLine(line: XmlElement, acc: Acc): void {
    const num = count(line, 'number', 'line@number');
    if (!Number.isInteger(num) || num < 1) throw reportError(CODE, source, `number=${JSON.stringify(line.attributes.number)} is not a line number`, { ...at(line), field: 'line@number' });
    const hits = count(line, 'hits', 'line@hits');
    acc.lineHits.set(num, (acc.lineHits.get(num) ?? 0) + hits);
    const cc = line.attributes['condition-coverage'];
    if (line.attributes.branch === 'true' && cc !== undefined) {
      const m = /\((\d+)\/(\d+)\)/.exec(cc);
      if (m === null) throw reportError(CODE, source, `condition-coverage=${JSON.stringify(cc)} is not "NN% (covered/total)"`, { ...at(line), field: 'line@condition-coverage' });
      const covered = Number(m[1]);
      const total = Number(m[2]);
      if (covered > total) throw reportError(CODE, source, `condition-coverage=${JSON.stringify(cc)} covers more than its total`, { ...at(line), field: 'line@condition-coverage' });
      const prev = acc.conditions.get(num);
      if (prev === undefined || total > prev[1] || (total === prev[1] && covered > prev[0])) acc.conditions.set(num, [covered, total]);
    }
  }

  const files: FileCoverage[] = [];
  for (const acc of byPath.values()) {
    const uncoveredLines = [...acc.lineHits].filter(([, h]) => h === 0).map(([l]) => l).sort((x, y) => x - y);
    let bc = 0;
    let bt = 0;
    for (const [c, t] of acc.conditions.values()) {
      bc += c;
      bt += t;
    }
    const fc: FileCoverage = {
      path: acc.resolved.path,
      lines: { covered: acc.lineHits.size - uncoveredLines.length, total: acc.lineHits.size },
      branches: { covered: bc, total: bt },
      uncoveredLines,
    };
    if (acc.functions !== undefined) fc.functions = acc.functions;
    if (acc.resolved.outsideRoot) fc.outsideRoot = true;
    files.push(fc);
  }
  return { format: 'cobertura', source, files: uniqueSortedFiles(files, source) };
}
