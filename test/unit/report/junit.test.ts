import { describe, expect, it } from 'vitest';
import { renderJunit, xmlEscape } from '../../../src/report/junit.js';
import { findAll, oneFaultRun, parseXml, shopRun } from './helpers.js';

describe('JUnit XML', () => {
  it('has one test case per hypothesis check, with failure for unmet and error for errored probes, and suite totals', () => {
    const r = shopRun();
    const doc = parseXml(renderJunit(r));
    expect(doc.name).toBe('testsuites');
    const suite = findAll(doc, 'testsuite')[0]!;
    const cases = findAll(doc, 'testcase');
    // 6 checks + 2 faults × "recovered" (no slo in the fixture)
    expect(cases).toHaveLength(8);
    for (const e of [doc, suite]) {
      expect(e.attrs).toMatchObject({ tests: '8', failures: '2', errors: '1', time: '20.600' });
    }
    expect(suite.attrs).toMatchObject({ name: r.title, id: r.id, timestamp: '2025-03-14T09:26:53', skipped: '0' });
    const failed = cases.find((c) => c.attrs.classname === `${r.title}.during` && c.attrs.name === 'p99 latency below 100 ms')!;
    const failure = findAll(failed, 'failure')[0]!;
    expect(failure.attrs.message).toBe('expected within [0, 100], observed 846.2');
    expect(failure.attrs.type).toBe('tolerance');
    const errored = cases.find((c) => c.attrs.name === 'pricing health')!;
    expect(findAll(errored, 'error')[0]!.attrs.message).toBe('probe error: connect ECONNREFUSED 127.0.0.1:9');
    const passed = cases.find((c) => c.attrs.classname === `${r.title}.before` && c.attrs.name === 'api answers /products')!;
    expect(passed.children).toEqual([]);
    expect(passed.attrs.time).toBe('0.011');
    const props = findAll(doc, 'property').map((p) => [p.attrs.name, p.attrs.value]);
    expect(props).toContainEqual(['faultline.run.seed', '1337']);
    expect(props).toContainEqual(['faultline.fault.f-lat-1', 'proxy/latency proxy=pricing']);
  });

  it('adds SLO test cases per fault: detected within and recovered within, failing when missed', () => {
    const slo = { detectMs: 1000, recoverMs: 2000 };
    const ok = parseXml(renderJunit(oneFaultRun({}, { timeToDetectMs: 400, timeToRecoverMs: 1500 }, { slo })));
    const okCases = findAll(ok, 'testcase');
    expect(okCases.map((c) => c.attrs.name)).toEqual(['proxy/latency proxy=pricing: detected within 1.00 s', 'proxy/latency proxy=pricing: recovered within 2.00 s']);
    expect(okCases.every((c) => c.children.length === 0)).toBe(true);
    expect(okCases.map((c) => c.attrs.classname)).toEqual(['drill.slo', 'drill.slo']);

    const late = findAll(parseXml(renderJunit(oneFaultRun({}, { timeToDetectMs: 1400, timeToRecoverMs: 2500 }, { slo }))), 'failure').map((f) => f.attrs.message);
    expect(late).toEqual(['detected after 1.40 s, SLO 1.00 s', 'recovered after 2.50 s, SLO 2.00 s']);
    const never = findAll(parseXml(renderJunit(oneFaultRun({}, { timeToDetectMs: null, timeToRecoverMs: null, recovered: false }, { slo }))), 'failure').map((f) => f.attrs.message);
    expect(never).toEqual(['never detected (SLO 1.00 s)', 'did not recover (SLO 2.00 s)']);
    // without an SLO: only "recovered", failing when the fault did not recover
    const noSlo = parseXml(renderJunit(oneFaultRun({}, { recovered: false, timeToRecoverMs: null })));
    expect(findAll(noSlo, 'testcase').map((c) => c.attrs.name)).toEqual(['proxy/latency proxy=pricing: recovered']);
    expect(noSlo.attrs.failures).toBe('1');
  });

  it('an aborted (halted) or interrupted run is one more test case with an error', () => {
    const halted = parseXml(renderJunit(oneFaultRun({}, {}, { status: 'aborted', halted: 'errorRate 0.62 > 0.5 over 1 s' })));
    const err = findAll(halted, 'error')[0]!;
    expect(err.attrs.message).toBe('halted: errorRate 0.62 > 0.5 over 1 s');
    expect(halted.attrs.errors).toBe('1');
    const interrupted = parseXml(renderJunit(oneFaultRun({}, {}, { status: 'interrupted' })));
    expect(findAll(interrupted, 'error')[0]!.attrs.type).toBe('interrupted');
  });

  it('escapes every string from the report: markup, quotes, ampersands, newlines, control characters', () => {
    const nasty = `p<"a'>&b\n</testcase><x y="1">\u0001\u{1F600}`;
    const r = shopRun();
    r.title = `t&t "${nasty}"`;
    r.checks[2]!.probe = nasty;
    r.checks[2]!.value = nasty;
    r.checks[3]!.error = `]]> ${nasty}`;
    const doc = parseXml(renderJunit(r));
    const cases = findAll(doc, 'testcase');
    const c = cases.find((x) => x.attrs.classname?.endsWith('.during') && findAll(x, 'failure').length)!;
    const cleaned = nasty.replace('\u0001', '\uFFFD');
    expect(c.attrs.name).toBe(cleaned);
    expect(c.attrs.classname).toBe(`t&t "${cleaned}".during`);
    expect(findAll(c, 'failure')[0]!.attrs.message).toContain(JSON.stringify(cleaned).slice(1, 20));
    expect(findAll(doc, 'error')[0]!.text).toContain(`]]> ${cleaned}`);
    expect(xmlEscape('a\tb\rc')).toBe('a&#9;b&#13;c');
  });
});
