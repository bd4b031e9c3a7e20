/**
 * Renderers of gate results (pure, text out):
 *  - Markdown for a pull-request comment: a summary line, a table (module, FIS, severity, coverage, required,
 *    decision) and the reasons per module;
 *  - JUnit XML for CI test reporters: <testsuites><testsuite name="faultline gate"> with one <testcase> per
 *    module; insufficient coverage is a <failure type="insufficient-coverage">, blocked a <failure type="blocked">;
 *    the reasons are the test case's <system-out>;
 *  - JSON: the results as they are.
 */
import { DECISION_LABELS, type GateDecision, type GateResult } from '../core/promote.js';
import { BLOCK_FIS, gateExitCode } from './gate.js';

const num = (x: number, decimals = 4): string => String(Number(x.toFixed(decimals)));
const pct = (x: number | null): string => (x === null ? '—' : `${num(x, 2)}%`);

const ICON: Record<GateDecision, string> = { promote: '✅', 'insufficient-coverage': '❌', blocked: '⛔' };

/** Prose for Markdown: line breaks as spaces, and a '<' that could open an HTML tag written as &lt; ("87% < 88%" stays as it is). */
function mdText(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/<(?=[A-Za-z/!?])/g, '&lt;');
}

/** A name in Markdown (table cell or bold): prose, with Markdown's own characters and pipes backslash-escaped. */
function mdName(s: string): string {
  return mdText(s.replace(/[\\`*_[\]|]/g, (ch) => `\\${ch}`));
}

function counts(results: readonly GateResult[]): Record<GateDecision, number> {
  const c: Record<GateDecision, number> = { promote: 0, 'insufficient-coverage': 0, blocked: 0 };
  for (const r of results) c[r.decision]++;
  return c;
}

/** A Markdown summary for a pull request. */
export function renderGateMarkdown(results: readonly GateResult[], opts: { title?: string } = {}): string {
  const c = counts(results);
  const code = gateExitCode(results);
  const verdict = code === 0 ? 'all modules may be promoted' : code === 3 ? 'blocked: manual review required' : 'coverage below the required threshold';
  const lines: string[] = [];
  lines.push(`## ${mdText(opts.title ?? 'faultline gate')}: ${verdict}`);
  lines.push('');
  lines.push(`${results.length} module${results.length === 1 ? '' : 's'}: ${c.promote} ${DECISION_LABELS.promote.toLowerCase()}, ${c['insufficient-coverage']} ${DECISION_LABELS['insufficient-coverage'].toLowerCase()}, ${c.blocked} blocked.`);
  if (results.length === 0) return `${lines.join('\n')}\n`;
  lines.push('');
  lines.push('| Module | FIS | Severity | Coverage | Required | Decision |');
  lines.push('|---|---:|---|---:|---:|---|');
  for (const r of results) {
    lines.push(`| ${mdName(r.module)} | ${num(r.fis)} | ${r.severity} | ${pct(r.coverage)} | ${pct(r.requiredCoverage)} | ${ICON[r.decision]} ${mdText(r.label)} |`);
  }
  lines.push('');
  for (const r of results) {
    lines.push(`**${mdName(r.module)}** — ${mdText(r.label)}`);
    for (const reason of r.reasons) lines.push(`- ${mdText(reason)}`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Escapes text for XML content and attribute values; replaces characters XML 1.0 cannot carry. */
export function gateXmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch] as string)
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
const xmlText = (s: string): string => gateXmlEscape(s).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t');

/** The results as a JUnit XML document: one testsuite "faultline gate", one testcase per module. */
export function renderGateJunit(results: readonly GateResult[], opts: { timestamp?: Date } = {}): string {
  const failures = results.filter((r) => r.decision !== 'promote').length;
  const stamp = opts.timestamp === undefined ? '' : ` timestamp="${opts.timestamp.toISOString().slice(0, 19)}"`;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="faultline gate" tests="${results.length}" failures="${failures}" errors="0" time="0">`);
  out.push(`  <testsuite name="faultline gate" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="0"${stamp}>`);
  for (const r of results) {
    out.push(`    <testcase classname="faultline.gate" name="${gateXmlEscape(r.module)}" time="0">`);
    if (r.decision !== 'promote') {
      const msg = r.decision === 'blocked'
        ? `FIS ${num(r.fis)} ≥ ${BLOCK_FIS}: ${r.label}`
        : `coverage ${pct(r.coverage)} < required ${pct(r.requiredCoverage)}: ${r.label}`;
      out.push(`      <failure message="${gateXmlEscape(msg)}" type="${r.decision}">${xmlText(r.reasons.join('\n'))}</failure>`);
    }
    out.push(`      <system-out>${xmlText([`decision: ${r.label}`, `FIS ${num(r.fis)} (${r.severity})`, ...r.reasons].join('\n'))}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

/** JSON: the results as they are. */
export function renderGateJson(results: readonly GateResult[]): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}
