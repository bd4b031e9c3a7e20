/**
 * The pinned cases as a node:test file (`node <file>` runs it: one test per input, each called twice, the
 * outcome compared with the one recorded before the change), and the verdict read from its output: the file
 * ends by printing one `faultline-characterisation: {total, changed, first}` line on stderr.
 */
import { pathToFileURL } from 'node:url';
import type { Outcome } from './runtime.js';

export interface TestFileInput {
  /** how the tests name the function */
  name: string;
  /** the module, relative to the checkout */
  modulePath: string;
  /** the checkout the cases were pinned in (absolute): the default of FAULTLINE_REPO */
  root: string;
  moduleUrlQuery: string;
  callable: { binding: string; method?: string; isStatic?: boolean };
  cases: readonly { args: unknown; outcome: Outcome }[];
  callTimeoutMs: number;
  repeat: number;
  header: string[];
  /** a pinned return matches a promise resolved to the same value (a resilience recipe may make the function async) */
  awaited?: boolean;
}

const SUMMARY = 'faultline-characterisation: ';
/** the untimed first call of a function a recipe may make async (a worker thread starting, its module loading) */
export const WARM_UP_MS = 15_000;

export function testFileSource(o: TestFileInput): string {
  const root = pathToFileURL(o.root.endsWith('/') ? o.root : `${o.root}/`).href;
  const cases = o.cases.map((c) => `  ${JSON.stringify({ args: c.args, expect: c.outcome })},`).join('\n');
  return `${o.header.map((l) => `// ${l}`).join('\n')}
/* eslint-disable */
import { test } from 'node:test';
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// faultline runs it with --import ./register.mjs (worker threads get the hooks too); run by hand, register here
if (!globalThis.__faultlineHooks) register('./hooks.mjs', import.meta.url);
const rt = await import('./runtime.mjs');

const NAME = ${JSON.stringify(o.name)};
// the checkout to test: FAULTLINE_REPO, else the one the cases were pinned in
const ROOT = process.env.FAULTLINE_REPO ? pathToFileURL(resolve(process.env.FAULTLINE_REPO) + '/').href : ${JSON.stringify(root)};
const MODULE = new URL(${JSON.stringify(o.modulePath.split('\\').join('/') + o.moduleUrlQuery)}, ROOT).href;
const CALLABLE = ${JSON.stringify(o.callable)};
const CALL_TIMEOUT_MS = ${o.callTimeoutMs};
const REPEAT = ${o.repeat};
// a recipe that may make the function async: a pinned return matches the same value resolved
const AWAITED = ${o.awaited === true};
const WARM_UP_MS = ${WARM_UP_MS};
const CASES = [
${cases}
];

let callable;
let loadError;
try {
  const found = rt.resolveCallable(await import(MODULE), CALLABLE);
  if ('missing' in found) loadError = found.missing;
  else callable = found;
} catch (e) {
  loadError = 'the module does not import: ' + rt.errorText(e);
}

// one untimed call first: a function made async may start something once (a worker thread loading its module)
// that the first timed call would otherwise wait for; its outcome is not compared
if (AWAITED && callable !== undefined && CASES.length > 0) await rt.callOnce(callable, rt.decodeValue(CASES[0].args), WARM_UP_MS);

const changed = [];
for (const [i, c] of CASES.entries()) {
  const call = rt.describeCall(NAME, rt.decodeValue(c.args));
  test('#' + (i + 1) + ' ' + call, async () => {
    if (loadError !== undefined) {
      changed.push(NAME + ': ' + loadError);
      throw new Error(loadError);
    }
    for (let r = 0; r < REPEAT; r++) {
      const got = await rt.callOnce(callable, rt.decodeValue(c.args), CALL_TIMEOUT_MS);
      if (!rt.sameOutcome(c.expect, got, AWAITED)) {
        const message = call + ' ' + rt.describeOutcome(c.expect, 'was') + ', now ' + rt.describeOutcome(got, 'now');
        changed.push(message);
        throw new Error(message);
      }
    }
  });
}

process.on('exit', () => {
  process.stderr.write(${JSON.stringify(SUMMARY)} + JSON.stringify({ total: CASES.length, changed: changed.length, first: changed[0] ?? null }) + '\\n');
});
`;
}

export interface Verdict {
  ok: boolean;
  detail: string;
  total?: number;
  changed?: number;
}

/** The verdict of a run of a pinned test file, from its exit code and the summary line. */
export function judgePinned(out: { exitCode: number | null; stdout: string; stderr: string }): Verdict {
  const line = out.stderr.split('\n').reverse().find((l) => l.startsWith(SUMMARY));
  let s: { total?: number; changed?: number; first?: string | null } | undefined;
  try {
    s = line ? (JSON.parse(line.slice(SUMMARY.length)) as typeof s) : undefined;
  } catch {
    s = undefined;
  }
  if (s === undefined || typeof s.total !== 'number' || typeof s.changed !== 'number') {
    const tail = out.stderr.trim().split('\n').slice(-3).join(' ');
    return { ok: false, detail: `the pinned tests did not finish (exit ${out.exitCode ?? 'signal'}${tail ? `: ${tail}` : ''})` };
  }
  if (s.changed === 0 && out.exitCode === 0) return { ok: true, detail: `${s.total} pinned input(s): the same behaviour`, total: s.total, changed: 0 };
  if (s.changed === 0) return { ok: false, detail: `the pinned tests failed (exit ${out.exitCode ?? 'signal'}) with no changed input reported`, total: s.total, changed: 0 };
  return { ok: false, detail: `${s.changed} of ${s.total} pinned inputs changed behaviour, e.g. ${s.first ?? '?'}`, total: s.total, changed: s.changed };
}
