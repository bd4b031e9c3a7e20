import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { parseExperiment, resolveActivity } from '../../../src/experiment/format/loader.js';
import { parseVar, resolveConfiguration, resolveSecrets, substitute } from '../../../src/experiment/format/substitute.js';

const VALID = `title: ok
configuration:
  base: http://127.0.0.1:9
steady-state-hypothesis:
  title: up
  probes:
    - type: probe
      name: health
      tolerance: 200
      provider: {type: http, url: "\${base}/health"}
method:
  - {ref: health}
`;

function problemsOf(text: string, file = 'exp.yaml'): string[] {
  try {
    parseExperiment(text, file);
  } catch (e) {
    if (!isFaultlineError(e)) throw e;
    return ((e.context.problems as { line: number; col: number; field: string; message: string }[]) ?? []).map((p) => `${file}:${p.line}:${p.col} ${p.field}: ${p.message}`);
  }
  return [];
}

describe('experiment loader', () => {
  it('accepts a valid experiment and resolves refs', () => {
    const { experiment } = parseExperiment(VALID, 'exp.yaml');
    expect(resolveActivity(experiment.method[0]!, experiment).name).toBe('health');
  });

  it('reports every problem at once with file:line:col and field', () => {
    const text = `title: broken
steady-state-hypothesis:
  title: up
  probes:
    - type: probe
      name: health
      provider:
        type: http
        url: http://10.1.2.3/health
method:
  - type: action
    name: crash
    provider:
      type: python
      module: chaosk8s.pod.actions
  - type: action
    provider: {type: process, path: ls}
    pauses: {before: -1}
  - {ref: nope}
`;
    const errs = problemsOf(text);
    expect(errs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^exp\.yaml:5:7 steady-state-hypothesis\.probes\[0\]\.tolerance: required/),
        expect.stringMatching(/^exp\.yaml:9:14 steady-state-hypothesis\.probes\[0\]\.provider\.url: .*not a loopback/),
        expect.stringMatching(/^exp\.yaml:14:13 method\[0\]\.provider\.type: activity "crash": python providers cannot run in faultline.*faultline provider/),
        expect.stringMatching(/^exp\.yaml:16:5 method\[1\]\.name: required/),
        expect.stringMatching(/^exp\.yaml:18:22 method\[1\]\.pauses\.before: expected a non-negative/),
        expect.stringMatching(/^exp\.yaml:19:11 method\[2\]\.ref: no activity named "nope"/),
      ]),
    );
    expect(errs).toHaveLength(6);
  });

  it('reads JSON with positions too, and requires title and a non-empty method', () => {
    const errs = problemsOf('{\n  "description": "x",\n  "method": []\n}', 'exp.json');
    expect(errs).toEqual([expect.stringMatching(/^exp\.json:1:1 title: required/), expect.stringMatching(/^exp\.json:3:13 method: expected a list of at least one activity/)]);
  });

  it('syntax errors are FL_ERR_EXPERIMENT_PARSE with a position', () => {
    try {
      parseExperiment('title: [unclosed\nmethod: x', 'bad.yaml');
      expect.unreachable();
    } catch (e) {
      expect(isFaultlineError(e, 'FL_ERR_EXPERIMENT_PARSE')).toBe(true);
      expect((e as Error).message).toMatch(/bad\.yaml:\d+:\d+ \(syntax\)/);
    }
  });

  it('a revert names an inject activity; faultline functions fit the activity type', () => {
    const errs = problemsOf(`title: t
method:
  - type: probe
    name: add
    provider: {type: faultline, func: inject, arguments: {layer: proxy, kind: latency, target: {proxy: p}, ttl: 10s}}
  - type: action
    name: undo
    provider: {type: faultline, func: revert, arguments: {fault: ad}}
  - type: action
    name: m
    provider: {type: faultline, func: metric, arguments: {metric: p42}}
`);
    expect(errs.map((e) => e.replace(/^\S+ /, ''))).toEqual([
      'method[0].provider.func: inject changes the target: declare the activity as type: action',
      'method[1].provider.arguments.fault: no faultline inject activity is named "ad"; inject activities: add',
      'method[2].provider.func: metric reads a value: declare the activity as type: probe',
      expect.stringMatching(/^method\[2\]\.provider\.arguments\.metric: expected one of errorRate/),
    ]);
  });

  it('controls are accepted with a warning', () => {
    const { warnings } = parseExperiment(`title: t\ncontrols: [{name: tracing}]\nmethod:\n  - {type: action, name: a, provider: {type: process, path: "true"}}\n`, 'c.yaml');
    expect(warnings).toEqual([expect.stringMatching(/^c\.yaml:2:11 controls: controls are ignored/)]);
  });

  it('never throws anything but FaultlineError on random YAML (property)', () => {
    const yamlish = fc.stringMatching(/^[a-z:\-\[\]{}\n "'$.0-9#&*!|>]{0,120}$/);
    const structured = fc.anything().map((v) => JSON.stringify({ title: 't', method: [v] }));
    fc.assert(
      fc.property(fc.oneof(yamlish, structured, fc.string()), (text) => {
        try {
          parseExperiment(text, 'r.yaml');
        } catch (e) {
          if (!isFaultlineError(e)) throw e;
        }
      }),
      { numRuns: 1500, interruptAfterTimeLimit: 10_000 },
    );
  });
});

describe('configuration and substitution', () => {
  it('--var overrides configuration; env entries read the environment or their default', () => {
    const conf = { a: 1, b: { type: 'env', key: 'FL_T_B', default: 'dflt' }, c: { type: 'env', key: 'FL_T_C' } };
    expect(resolveConfiguration(conf, { a: 2 }, { FL_T_C: 'from-env' })).toEqual({ a: 2, b: 'dflt', c: 'from-env' });
    expect(() => resolveConfiguration(conf, {}, {})).toThrow(/FL_T_C is not set/);
    expect(resolveConfiguration(conf, { c: 'v' }, {})).toMatchObject({ c: 'v' });
    expect(resolveSecrets({ s: { token: { type: 'env', key: 'TK' } } }, { TK: 'x' })).toEqual({ token: 'x' });
  });

  it('substitutes ${name} deep, keeps the type of a whole reference, leaves unknown names', () => {
    const scope = { host: '127.0.0.1', port: 8080, t: 3 };
    expect(substitute({ url: 'http://${host}:${port}/x', timeout: '${t}', other: '${missing}', list: ['${host}'] }, scope)).toEqual({ url: 'http://127.0.0.1:8080/x', timeout: 3, other: '${missing}', list: ['127.0.0.1'] });
  });

  it('parses --var like Chaos Toolkit (NAME=VALUE, NAME:TYPE=VALUE)', () => {
    expect(parseVar('a=5')).toEqual(['a', '5']);
    expect(parseVar('a:int=5')).toEqual(['a', 5]);
    expect(parseVar('u=http://x?a=b')).toEqual(['u', 'http://x?a=b']);
    expect(parseVar('j:json={"k":[1]}')).toEqual(['j', { k: [1] }]);
    expect(() => parseVar('novalue')).toThrow(/NAME=VALUE/);
    expect(() => parseVar('n:int=x')).toThrow(/not an integer/);
  });
});
