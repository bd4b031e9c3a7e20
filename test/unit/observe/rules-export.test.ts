// Prometheus alerting rules from the detectors: the YAML parses into the structure promtool requires, the PromQL
// passes the structural checker (which is itself shown to catch broken expressions), the thresholds are the
// detectors' calibrated scores as z-scores, and — when promtool is installed — `promtool check rules` accepts the
// file and `promtool test rules` shows the robust-z rule firing after a jump and not before.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { registerObserveWatch } from '../../../src/cli/commands/observe-watch.js';
import type { CliContext } from '../../../src/cli/context.js';
import { twoSidedP } from '../../../src/observe/anomaly/calibrate.js';
import { checkPromql, checkRuleFile, isDuration } from '../../../src/observe/anomaly/promql-check.js';
import { alertingRules, faultlineSeries, normalTailInverse, promDuration, renderRules, scoreToZ, type RuleSeries } from '../../../src/observe/anomaly/rules.js';

const tmp = mkdtempSync(join(tmpdir(), 'fl-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

const user: RuleSeries = {
  id: 'Checkout5xx',
  expr: 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))',
  description: 'checkout 5xx ratio',
  above: 0.02,
  minScale: 0.001,
};

describe('thresholds', () => {
  it('turns a calibrated score into the z-score with that two-sided p-value', () => {
    expect(scoreToZ(0.25)).toBeCloseTo(3.890592, 5); // p = 1e-4
    expect(scoreToZ(0.5)).toBeCloseTo(5.730729, 5); // p = 1e-8
    for (const s of [0.05, 0.25, 0.5, 0.75]) expect(-Math.log10(twoSidedP(scoreToZ(s))) / 16).toBeCloseTo(s, 6);
    expect(normalTailInverse(0.5)).toBeCloseTo(0, 6);
    expect(normalTailInverse(0.975)).toBeCloseTo(-1.959964, 5);
    expect(() => scoreToZ(0)).toThrow();
    expect(() => scoreToZ(1)).toThrow();
  });

  it('writes Prometheus durations', () => {
    expect(promDuration(3_840_000)).toBe('1h4m');
    expect(promDuration(96_000_000)).toBe('1d2h40m');
    expect(promDuration(200)).toBe('1s');
    expect(isDuration('1h4m') && isDuration('30s') && isDuration('1d2h40m')).toBe(true);
    expect(isDuration('4m1h') || isDuration('1.5m') || isDuration('')).toBe(false);
  });
});

describe('rule files', () => {
  for (const detector of ['robust-z', 'ewma', 'windowed-gaussian']) {
    it(`${detector}: the YAML has the structure promtool requires`, () => {
      const file = alertingRules({ detector, series: [...faultlineSeries({ maxErrorRate: 0.01, maxP99LatencyMs: 60 }), user] });
      const doc = parse(renderRules(file, 'a header'));
      expect(checkRuleFile(doc)).toEqual([]);
      const rules = doc.groups[0].rules as Array<{ alert: string; expr: string; for: string; labels: Record<string, string> }>;
      // per series: the detector rule; with a bound, the steady-state rule and the predict_linear early warning
      expect(rules).toHaveLength(3 + 3 + 1 + 3);
      expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
      const z = rules.find((r) => r.alert.startsWith('FaultlineErrorRateAnomaly'));
      expect(z?.expr).toContain('faultline_error_rate[');
      expect(z?.expr).toMatch(/> 3\.8905\d/);
      expect(z?.labels).toEqual({ severity: 'warning', detector, faultline: 'anomaly' });
      // a user expression that is not a plain selector gets a subquery
      const u = rules.find((r) => r.alert === `FaultlineCheckout5xxAnomaly${detector.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`);
      expect(u?.expr).toMatch(/\)\[[0-9dhms]+:15s\]/);
      expect(rules.find((r) => r.alert === 'FaultlineCheckout5xxEarlyWarning')?.expr).toMatch(/^predict_linear\(\(sum by \(job\).*\)\[5m:15s\], 600\) > 0\.02$/);
      expect(rules.find((r) => r.alert === 'FaultlineThroughputSteadyStateLow')).toBeUndefined(); // no bound given
    });
  }

  it('windows follow the detectors\' sample counts times the scrape interval', () => {
    const ex = (detector: string, scrape: number): string => alertingRules({ detector, scrapeIntervalMs: scrape, series: faultlineSeries() }).groups[0]!.rules[0]!.expr;
    expect(ex('robust-z', 15_000)).toContain('[1h4m]'); // 256 samples
    expect(ex('ewma', 15_000)).toContain('avg_over_time(faultline_error_rate[24m45s])'); // 2/0.02 − 1 = 99 samples
    expect(ex('windowed-gaussian', 10_000)).toContain('stddev_over_time(faultline_error_rate[17h46m40s])'); // 6,400 samples
  });

  it('refuses detectors without a PromQL form and clashing alert names', () => {
    expect(() => alertingRules({ detector: 'context', series: faultlineSeries() })).toThrow(expect.objectContaining({ code: 'FL_ERR_RULES_DETECTOR' }));
    expect(() => alertingRules({ detector: 'robust-z', series: [user, user] })).toThrow(expect.objectContaining({ code: 'FL_ERR_INVALID_ARGUMENT' }));
    expect(() => alertingRules({ detector: 'robust-z', series: [{ ...user, id: 'not-camel' }] })).toThrow(expect.objectContaining({ code: 'FL_ERR_INVALID_ARGUMENT' }));
  });

  it('the checker catches what promtool would reject', () => {
    expect(checkPromql('sum by (job) (rate(x{a="b",c=~"d.*"}[5m])) / 2')).toEqual([]);
    expect(checkPromql('quantile_over_time(0.5, (a + b)[1h:1m]) offset 5m')).toEqual([]);
    expect(checkPromql('abs(x - avg_over_time(x[5m])')).toContain('unbalanced "(" at 3');
    expect(checkPromql('abs(x))')[0]).toMatch(/unbalanced "\)"/);
    expect(checkPromql('avg_over_tim(x[5m])')[0]).toMatch(/unknown function "avg_over_tim"/);
    expect(checkPromql('rate(x[5 minutes])')[0]).toMatch(/not a range/);
    expect(checkPromql('x{job=prod}')[0]).toMatch(/label matcher/);
    expect(checkPromql('x{job="prod')[0]).toMatch(/unterminated string|unbalanced/);
    expect(checkPromql('  ')).toContain('empty expression');
    const bad = {
      groups: [
        { name: 'g', rules: [{ alert: 'A-B', expr: 'x > 1', for: '1 minute', labels: { sev: 2 }, annotations: { d: '{{ $value' } }] },
        { name: 'g', rules: [{ record: 'r', alert: 'B', expr: 'y' }] },
      ],
    };
    const problems = checkRuleFile(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        'groups[0].rules[0].alert: "A-B" is not a valid alert name',
        'groups[0].rules[0].for: "1 minute" is not a duration',
        'groups[0].rules[0].labels.sev: must be a string',
        'groups[0].rules[0].annotations.d: unbalanced {{ }} template',
        'groups[1].name: "g" is not unique',
        'groups[1].rules[0]: needs exactly one of alert and record',
      ]),
    );
    expect(checkRuleFile({ rules: [] })).toContain('groups: must be a list');
  });

  it.skipIf(!promtool)('promtool accepts the files, and the robust-z rule fires after a jump and not before', () => {
    for (const detector of ['robust-z', 'ewma', 'windowed-gaussian']) {
      const f = join(tmp, `${detector}.yaml`);
      writeFileSync(f, renderRules(alertingRules({ detector, series: [...faultlineSeries({ maxErrorRate: 0.01, maxP99LatencyMs: 60 }), user] })));
      const r = spawnSync('promtool', ['check', 'rules', f], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toContain('SUCCESS: 10 rules found');
      expect(r.status).toBe(0);
    }
    writeFileSync(join(tmp, 'rules.yaml'), renderRules(alertingRules({ detector: 'robust-z', series: faultlineSeries({ maxErrorRate: 0.01 }) })));
    writeFileSync(
      join(tmp, 'test.yaml'),
      [
        'rule_files: [rules.yaml]',
        'evaluation_interval: 15s',
        'tests:',
        '  - interval: 15s',
        '    input_series:',
        "      - series: 'faultline_error_rate'",
        "        values: '0x120 0.5x20'", // 30 min at 0, then 0.5
        '    alert_rule_test:',
        '      - eval_time: 20m',
        '        alertname: FaultlineErrorRateAnomalyRobustZ',
        '        exp_alerts: []',
        '      - eval_time: 33m',
        '        alertname: FaultlineErrorRateAnomalyRobustZ',
        '        exp_alerts:',
        '          - exp_labels: {severity: warning, detector: robust-z, faultline: anomaly}',
        '            exp_annotations:',
        '              summary: "faultline error rate: anomalous (robust-z)"',
        // IQR of zeros is 0: the deviation floor (0.005) makes it 0.5 / 0.005 = 100
        '              description: "faultline error rate is 100 deviations from its recent normal (alerting above 3.89059, faultline score 0.25, p = 1e-4)."',
        '      - eval_time: 33m',
        '        alertname: FaultlineErrorRateSteadyStateHigh',
        '        exp_alerts:',
        '          - exp_labels: {severity: critical, faultline: steady-state}',
        '            exp_annotations:',
        '              summary: "faultline error rate outside the steady state"',
        '              description: "faultline error rate is 50%, above the steady-state bound 0.01."',
      ].join('\n') + '\n',
    );
    const t = spawnSync('promtool', ['test', 'rules', 'test.yaml'], { cwd: tmp, encoding: 'utf8' });
    expect(t.stdout + t.stderr).toContain('SUCCESS');
    expect(t.status).toBe(0);
  });
});

describe('faultline observe rules', () => {
  async function cli(args: string[]): Promise<unknown> {
    let data: unknown;
    const ctx = { json: true, configPath: join(tmp, 'absent.yaml'), config: () => ({ steadyState: { maxErrorRate: 0.05 } }), print: (d: unknown) => (data = d), progress() {} } as unknown as CliContext;
    const program = new Command('faultline').exitOverride();
    registerObserveWatch(program.command('observe'), () => ctx);
    await program.parseAsync(['observe', 'rules', ...args], { from: 'user' });
    return data;
  }

  it('writes a rules file for faultline\'s metrics with the config\'s bounds, and for user queries', async () => {
    const out = join(tmp, 'cli.yaml');
    const r = await cli(['--detector', 'ewma', '--threshold', '0.5', '--query', 'job:errors:ratio5m', '--name', 'JobErrors', '--above', '0.1', '--out', out]);
    expect(r).toMatchObject({ file: out, groups: 1, rules: 3 + 2 + 3 });
    const doc = parse(readFileSync(out, 'utf8'));
    expect(checkRuleFile(doc)).toEqual([]);
    const alerts = doc.groups[0].rules.map((x: { alert: string }) => x.alert);
    expect(alerts).toContain('FaultlineErrorRateSteadyStateHigh');
    expect(alerts).toContain('FaultlineJobErrorsEarlyWarning');
    expect(doc.groups[0].rules.find((x: { alert: string }) => x.alert === 'FaultlineErrorRateSteadyStateHigh').expr).toBe('faultline_error_rate > 0.05');
    expect(doc.groups[0].rules[0].expr).toMatch(/> 5\.7307\d/);
  });

  it('needs a --name per --query', async () => {
    await expect(cli(['--query', 'x'])).rejects.toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT' });
    await expect(cli(['--detector', 'lstm'])).rejects.toMatchObject({ code: 'FL_ERR_RULES_DETECTOR' });
  });
});
