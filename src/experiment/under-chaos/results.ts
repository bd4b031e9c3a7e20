/**
 * Test results from what a test command prints or writes: TAP (node --test's reporter when stdout is not a
 * TTY, and any TAP 13/14 producer) and JUnit XML (vitest, jest-junit, mocha-junit-reporter, …).
 */
import { parse as parseYaml } from 'yaml';

export type TestStatus = 'pass' | 'fail' | 'skip';

export interface TestResult {
  /** the test's name; subtests and JUnit classnames are joined with " › " */
  name: string;
  status: TestStatus;
  /** the failure message */
  message?: string;
  /** where the failing test is declared (TAP `location`), file:line:col */
  location?: string;
  /** the failure's stack, as reported */
  stack?: string;
}

const SEP = ' › ';
const TEST_LINE = /^(\s*)(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$/;

/** Splits a TAP description into the name and its directive (`# SKIP …` or the to-do directive); `\#` is an escaped hash. */
function description(text: string): { name: string; directive?: 'skip' | 'pending' } {
  // TAP's two directives: SKIP and TODO (a test expected to fail, not counted as a failure)
  const m = /(?:^|[^\\])#\s*(SKIP|TODO)\b/i.exec(text);
  const raw = m ? text.slice(0, m.index + (m[0].startsWith('#') ? 0 : 1)) : text;
  const name = raw.trim().replace(/\\#/g, '#').replace(/\\\\/g, '\\');
  return m ? { name, directive: (m[1] as string).toUpperCase() === 'SKIP' ? 'skip' : 'pending' } : { name };
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

interface Node {
  indent: number;
  result: TestResult;
  children: Node[];
}

/**
 * Parses TAP. Subtests (indented, printed before their parent's line) are named `parent › child`; a parent is
 * listed itself only when it failed and none of its children did (a failing hook, a file that crashed).
 * Tests with the to-do directive count as skipped. Names that repeat get ` #2`, ` #3`, … so every test has one key.
 */
export function parseTap(text: string): TestResult[] {
  const lines = text.split(/\r?\n/);
  /** finished tests waiting for their parent, by indent */
  let pending: Node[] = [];
  const roots: Node[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const m = TEST_LINE.exec(line);
    if (!m) continue;
    const indent = (m[1] as string).replace(/\t/g, '    ').length;
    const { name, directive } = description(m[4] ?? '');
    const result: TestResult = { name: name || `test ${m[3] ?? '?'}`, status: directive ? 'skip' : m[2] === 'ok' ? 'pass' : 'fail' };
    // a YAML diagnostic block may follow: `---` … `...`, indented further
    if (/^\s*---\s*$/.test(lines[i + 1] ?? '')) {
      const start = i + 2;
      let end = start;
      while (end < lines.length && !/^\s*\.\.\.\s*$/.test(lines[end] as string)) end++;
      const block = lines.slice(start, end);
      const pad = Math.min(...block.filter((l) => l.trim() !== '').map((l) => (/^\s*/.exec(l) as RegExpExecArray)[0].length));
      try {
        const diag = parseYaml(block.map((l) => l.slice(Number.isFinite(pad) ? pad : 0)).join('\n')) as Record<string, unknown> | null;
        if (diag && typeof diag === 'object' && result.status === 'fail') {
          const message = str(diag.error) ?? str(diag.message);
          const location = str(diag.location);
          const stack = str(diag.stack);
          if (message !== undefined) result.message = message;
          if (location !== undefined) result.location = location;
          if (stack !== undefined) result.stack = stack;
        }
      } catch {
        // a diagnostic block that is not YAML leaves the test without details
      }
      i = end;
    }
    const node: Node = { indent, result, children: pending.filter((p) => p.indent > indent) };
    pending = pending.filter((p) => p.indent <= indent);
    if (indent === 0) roots.push(node);
    else pending.push(node);
  }
  // subtests whose parent never reported (the run was killed) keep their own names
  roots.push(...pending);
  const out: TestResult[] = [];
  const walk = (n: Node, prefix: string): void => {
    const name = prefix + n.result.name;
    if (n.children.length === 0 || (n.result.status === 'fail' && !n.children.some((c) => c.result.status === 'fail'))) out.push({ ...n.result, name });
    for (const c of n.children) walk(c, name + SEP);
  };
  for (const r of roots) walk(r, '');
  return uniqueNames(out);
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) out[m[1] as string] = decode(m[3] ?? m[4] ?? '');
  return out;
}

/**
 * Parses JUnit XML: every `<testcase>` is a test named `classname › name` (or `name` when the classname is
 * empty or repeats the name); `<failure>` or `<error>` makes it failed (message from the attribute, else the
 * element's text), `<skipped>` skipped.
 */
export function parseJunit(xml: string): TestResult[] {
  const text = xml.replace(/<!--[\s\S]*?-->/g, '');
  const out: TestResult[] = [];
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase\s*>)/g;
  for (const m of text.matchAll(re)) {
    const a = attrs(m[1] as string);
    const body = m[3] ?? '';
    const name = a.name ?? '(unnamed)';
    const cls = a.classname ?? '';
    const r: TestResult = { name: cls && cls !== name ? `${cls}${SEP}${name}` : name, status: 'pass' };
    const fail = /<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1\s*>)/.exec(body);
    if (fail) {
      r.status = 'fail';
      const fa = attrs(fail[2] as string);
      const inner = decode((fail[3] ?? '').replace(/^\s*<!\[CDATA\[|\]\]>\s*$/g, '')).trim();
      const message = fa.message ?? inner.split('\n')[0];
      if (message) r.message = message;
      if (inner) r.stack = inner;
    } else if (/<skipped\b/.test(body)) r.status = 'skip';
    out.push(r);
  }
  return uniqueNames(out);
}

function uniqueNames(list: TestResult[]): TestResult[] {
  const seen = new Map<string, number>();
  return list.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return n === 1 ? r : { ...r, name: `${r.name} #${n}` };
  });
}
