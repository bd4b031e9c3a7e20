import { describe, expect, it } from 'vitest';
import { renderExposition, RunMetrics } from '../../../src/report/prometheus.js';
import { bucket, parseExposition, sampleOf } from './helpers.js';

describe('RunMetrics', () => {
  it('renders every family with HELP and TYPE, before any data too', () => {
    const e = parseExposition(new RunMetrics().render());
    expect(Object.keys(e.type).sort()).toEqual(
      [
        'faultline_error_rate',
        'faultline_faults_active',
        'faultline_faults_injected_total',
        'faultline_halts_total',
        'faultline_request_duration_seconds',
        'faultline_requests_total',
        'faultline_run_info',
        'faultline_steady_state_met',
        'faultline_throughput_per_second',
      ].sort(),
    );
    expect(e.type.faultline_request_duration_seconds).toBe('summary');
    expect(sampleOf(e, 'faultline_faults_active')).toBe(0);
    expect(sampleOf(e, 'faultline_request_duration_seconds_count')).toBe(0);
    expect(sampleOf(e, 'faultline_steady_state_met')).toBeUndefined();
  });

  it('accumulates requests by outcome, latest-bucket quantiles and error rate, faults, halts and steady state', () => {
    const m = new RunMetrics();
    m.setRun({ id: 'r1', title: 'shop "drill"\\n\nline', kind: 'card', bounds: { maxErrorRate: 0.05, maxP99LatencyMs: 100 } });
    m.onBucket(bucket(0, { requests: 10, p99: 20 }));
    let e = parseExposition(m.render());
    expect(sampleOf(e, 'faultline_steady_state_met')).toBe(1);
    m.onEvent({ atMs: 250, kind: 'inject', label: 'x', faultId: 'a' }, { layer: 'proxy', kind: 'latency' });
    m.onEvent({ atMs: 260, kind: 'inject', label: 'y', faultId: 'b' }, { layer: 'agent', kind: 'throw' });
    m.onEvent({ atMs: 270, kind: 'inject', label: 'z', faultId: 'c' }, { layer: 'proxy', kind: 'latency' });
    m.onBucket(bucket(250, { requests: 10, errors: 4, errorsByKind: { http_5xx: 3, ECONNRESET: 1 }, p99: 400 }));
    m.onEvent({ atMs: 500, kind: 'revert', label: 'x', faultId: 'a' });
    m.onEvent({ atMs: 510, kind: 'expire', label: 'z', faultId: 'c' });
    m.onEvent({ atMs: 600, kind: 'halt', label: 'error rate' });
    e = parseExposition(m.render());
    expect(sampleOf(e, 'faultline_requests_total', { outcome: 'ok' })).toBe(16);
    expect(sampleOf(e, 'faultline_requests_total', { outcome: 'http_5xx' })).toBe(3);
    expect(sampleOf(e, 'faultline_requests_total', { outcome: 'ECONNRESET' })).toBe(1);
    expect(sampleOf(e, 'faultline_request_duration_seconds', { quantile: '0.99' })).toBeCloseTo(0.4);
    expect(sampleOf(e, 'faultline_request_duration_seconds', { quantile: '0.5' })).toBeCloseTo(0.2);
    expect(sampleOf(e, 'faultline_request_duration_seconds_count')).toBe(20);
    expect(sampleOf(e, 'faultline_request_duration_seconds_sum')).toBeCloseTo((10 * 10 + 10 * 200) / 1000);
    expect(sampleOf(e, 'faultline_error_rate')).toBeCloseTo(0.4);
    expect(sampleOf(e, 'faultline_faults_active')).toBe(1);
    expect(sampleOf(e, 'faultline_faults_injected_total', { layer: 'proxy', kind: 'latency' })).toBe(2);
    expect(sampleOf(e, 'faultline_faults_injected_total', { layer: 'agent', kind: 'throw' })).toBe(1);
    expect(sampleOf(e, 'faultline_halts_total')).toBe(1);
    expect(sampleOf(e, 'faultline_steady_state_met')).toBe(0);
    // label escaping round-trips
    expect(e.samples.find((s) => s.name === 'faultline_run_info')!.labels).toEqual({ id: 'r1', title: 'shop "drill"\\n\nline', kind: 'card' });
    m.setFaultsActive(5);
    m.setSteadyStateMet(true);
    e = parseExposition(m.render());
    expect(sampleOf(e, 'faultline_faults_active')).toBe(5);
    expect(sampleOf(e, 'faultline_steady_state_met')).toBe(1);
  });

  it('writes special values and escapes HELP text', () => {
    const text = renderExposition([{ name: 'x', type: 'gauge', help: 'a\\b\nc', samples: [{ value: NaN }, { labels: { k: 'v' }, value: Infinity }, { labels: { k: 'w' }, value: -Infinity }] }]);
    expect(text).toBe('# HELP x a\\\\b\\nc\n# TYPE x gauge\nx NaN\nx{k="v"} +Inf\nx{k="w"} -Inf\n');
    expect(parseExposition(text).help.x).toBe('a\\b\nc');
  });
});
