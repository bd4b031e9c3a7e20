/** Which coverage format a text is, from its content (the path is only used in messages). */
import { assertNever } from '../../core/errors.js';
import type { CoverageFormat, CoverageParseOptions, CoverageReport } from './coverage-types.js';
import { looksLikeCobertura, parseCobertura } from './cobertura.js';
import { looksLikeIstanbulFinal, looksLikeIstanbulSummary, parseIstanbulFinal, parseIstanbulSummary } from './istanbul.js';
import { looksLikeLcov, parseLcov } from './lcov.js';
import { parseJsonReport, reportError } from './report-error.js';

const CODE = 'FL_ERR_COVERAGE_REPORT';

function detect(path: string, text: string, strict: boolean): CoverageFormat | undefined {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('{')) {
    let json: unknown;
    if (strict) json = parseJsonReport(CODE, path, text);
    else {
      try {
        json = JSON.parse(t);
      } catch {
        return undefined;
      }
    }
    if (looksLikeIstanbulSummary(json)) return 'istanbul-summary';
    if (looksLikeIstanbulFinal(json)) return 'istanbul-final';
    return undefined;
  }
  if (t.startsWith('<')) return looksLikeCobertura(t) ? 'cobertura' : undefined;
  return looksLikeLcov(t) ? 'lcov' : undefined;
}

/**
 * JSON with "total" whose lines has pct → istanbul-summary; JSON whose file objects have statementMap →
 * istanbul-final; first record TN:/SF:/VER: → lcov; XML with a <coverage> element → cobertura. undefined otherwise
 * (including JSON that does not parse).
 */
export function detectCoverageFormat(path: string, text: string): CoverageFormat | undefined {
  return detect(path, text, false);
}

/** detectCoverageFormat, or FL_ERR_COVERAGE_REPORT saying what the file looked like. */
export function detectCoverageFormatOrThrow(path: string, text: string): CoverageFormat {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t === '') throw reportError(CODE, path, 'is empty');
  const format = detect(path, text, true);
  if (format !== undefined) return format;
  if (t.startsWith('{')) {
    throw reportError(CODE, path, 'is JSON but neither an istanbul coverage-summary.json ("total" with lines.pct) nor a coverage-final.json (file objects with statementMap)');
  }
  if (t.startsWith('<')) throw reportError(CODE, path, 'is XML without a <coverage> element; a cobertura report has <coverage> as its root');
  const first = t.split('\n', 1)[0] ?? '';
  throw reportError(CODE, path, `is not a coverage report this reader knows (istanbul JSON, lcov, cobertura); it starts with ${JSON.stringify(first.slice(0, 60))}`, { line: 1 });
}

/** Parse a report of a known format. */
export function parseCoverage(format: CoverageFormat, text: string, opts: CoverageParseOptions): CoverageReport {
  switch (format) {
    case 'istanbul-summary':
      return parseIstanbulSummary(text, opts);
    case 'istanbul-final':
      return parseIstanbulFinal(text, opts);
    case 'lcov':
      return parseLcov(text, opts);
    case 'cobertura':
      return parseCobertura(text, opts);
    default:
      return assertNever(format, 'coverage format');
  }
}

/** Detect, then parse. */
export function parseCoverageText(text: string, opts: CoverageParseOptions): CoverageReport {
  return parseCoverage(detectCoverageFormatOrThrow(opts.source, text), text, opts);
}
