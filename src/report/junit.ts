/**
 * JUnit XML for CI: one test case per hypothesis check, one per fault and SLO (detected within / recovered
 * within) when the run has figures, and one for the run itself when it was halted or interrupted.
 * Shape: <testsuites><testsuite><properties/><testcase><failure|error/></testcase></testsuite></testsuites>,
 * read by Jenkins, GitLab, GitHub test reporters and the like.
 */
import type { RunReport } from '../core/run.js';
import { describeCheck, fmtMs } from './format.js';

/** Escapes text for XML content and attribute values; drops characters XML 1.0 cannot carry. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** element text: newlines kept as they are */
const text = (s: string): string => xmlEscape(s).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t');

interface Case {
  classname: string;
  name: string;
  timeS: number;
  failure?: { message: string; type: string; detail: string };
  error?: { message: string; type: string; detail: string };
}

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

function cases(report: RunReport): Case[] {
  const out: Case[] = [];
  for (const c of report.checks) {
    const k: Case = { classname: `${report.title}.${c.phase}`, name: c.probe, timeS: c.durationMs / 1000 };
    if (c.error !== undefined) k.error = { message: `probe error: ${c.error}`, type: 'probe-error', detail: `${c.phase} probe "${c.probe}" failed to run at ${fmtMs(c.atMs)}: ${c.error}` };
    else if (!c.met) k.failure = { message: describeCheck(c), type: 'tolerance', detail: `${c.phase} probe "${c.probe}" at ${fmtMs(c.atMs)}: ${describeCheck(c)}` };
    out.push(k);
  }
  const slo = report.slo;
  for (const ff of report.figures?.faults ?? []) {
    const classname = `${report.title}.slo`;
    if (slo?.detectMs !== undefined) {
      const k: Case = { classname, name: `${ff.label}: detected within ${fmtMs(slo.detectMs)}`, timeS: (ff.timeToDetectMs ?? 0) / 1000 };
      if (ff.timeToDetectMs === null) k.failure = { message: `never detected (SLO ${fmtMs(slo.detectMs)})`, type: 'slo', detail: `no steady-state violation was observed while ${ff.label} was active` };
      else if (ff.timeToDetectMs > slo.detectMs) k.failure = { message: `detected after ${fmtMs(ff.timeToDetectMs)}, SLO ${fmtMs(slo.detectMs)}`, type: 'slo', detail: `time to detect ${ff.timeToDetectMs} ms > ${slo.detectMs} ms` };
      out.push(k);
    }
    const within = slo?.recoverMs;
    const k: Case = { classname, name: within === undefined ? `${ff.label}: recovered` : `${ff.label}: recovered within ${fmtMs(within)}`, timeS: (ff.timeToRecoverMs ?? 0) / 1000 };
    if (!ff.recovered) k.failure = { message: `did not recover${within === undefined ? '' : ` (SLO ${fmtMs(within)})`}`, type: 'slo', detail: `the service did not return to steady state after ${ff.label} ended` };
    else if (within !== undefined && ff.timeToRecoverMs !== null && ff.timeToRecoverMs > within) {
      k.failure = { message: `recovered after ${fmtMs(ff.timeToRecoverMs)}, SLO ${fmtMs(within)}`, type: 'slo', detail: `time to recover ${ff.timeToRecoverMs} ms > ${within} ms` };
    }
    out.push(k);
  }
  if (report.status === 'aborted' || report.status === 'interrupted') {
    const why = report.status === 'aborted' ? `halted: ${report.halted ?? 'a halt condition tripped'}` : 'interrupted (SIGINT/SIGTERM); every fault was reverted';
    out.push({ classname: `${report.title}.run`, name: 'run completed', timeS: report.durationMs / 1000, error: { message: why, type: report.status, detail: why } });
  }
  return out;
}

function renderCase(k: Case): string {
  const open = `    <testcase classname="${xmlEscape(k.classname)}" name="${xmlEscape(k.name)}" time="${seconds(k.timeS * 1000)}"`;
  const problem = k.error ? ['error', k.error] as const : k.failure ? ['failure', k.failure] as const : undefined;
  if (!problem) return `${open}/>`;
  const [tag, p] = problem;
  return `${open}>\n      <${tag} message="${xmlEscape(p.message)}" type="${xmlEscape(p.type)}">${text(p.detail)}</${tag}>\n    </testcase>`;
}

/** The run as a JUnit XML document. */
export function renderJunit(report: RunReport): string {
  const all = cases(report);
  const failures = all.filter((k) => k.failure).length;
  const errors = all.filter((k) => k.error).length;
  const time = seconds(report.durationMs);
  const props: Array<[string, string]> = [
    ['faultline.run.id', report.id],
    ['faultline.run.kind', report.kind],
    ['faultline.run.status', report.status],
    ['faultline.run.deviated', String(report.deviated)],
  ];
  if (report.seed !== undefined) props.push(['faultline.run.seed', String(report.seed)]);
  if (report.cardId !== undefined) props.push(['faultline.card.id', report.cardId]);
  if (report.halted !== undefined) props.push(['faultline.run.halted', report.halted]);
  for (const f of report.faults) props.push([`faultline.fault.${f.id}`, `${f.layer}/${f.kind} ${f.target}`]);
  const timestamp = Number.isFinite(Date.parse(report.startedAt)) ? new Date(report.startedAt).toISOString().replace(/\.\d+Z$/, '') : report.startedAt;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="faultline" tests="${all.length}" failures="${failures}" errors="${errors}" time="${time}">`,
    `  <testsuite name="${xmlEscape(report.title)}" id="${xmlEscape(report.id)}" timestamp="${xmlEscape(timestamp)}" tests="${all.length}" failures="${failures}" errors="${errors}" skipped="0" time="${time}">`,
    '    <properties>',
    ...props.map(([n, v]) => `      <property name="${xmlEscape(n)}" value="${xmlEscape(v)}"/>`),
    '    </properties>',
    ...all.map(renderCase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
