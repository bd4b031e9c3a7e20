// The Watcher on its own (samples in, warnings out): a forecast warning ahead of a violation that creeps in, the
// violation warning with its root-cause hint, rising edges and re-arming.
import { describe, expect, it } from 'vitest';
import { trainForecaster } from '../../../src/observe/anomaly/forecast.js';
import { findDetectorOrThrow } from '../../../src/observe/anomaly/registry.js';
import { runSamples } from '../../../src/observe/anomaly/signals.js';
import { seriesName, Watcher, type Warning } from '../../../src/observe/anomaly/watch.js';
import { BOUNDS, rng, synthCorpus } from './early-synthetic.js';

const detector = findDetectorOrThrow('robust-z');

describe('Watcher', () => {
  it('forecasts a creeping violation before it happens, then reports it with a hint', () => {
    const [a, b, c, held] = synthCorpus(4, 8000, 21);
    const model = trainForecaster([a!, b!, c!], { horizonMs: 10_000, detector, maxFalseAlarmsPerHour: 30 });
    const w = new Watcher({ detector, model, bounds: BOUNDS, rearmMs: 20_000 });
    const warnings: Warning[] = [];
    const samples = runSamples(held!);
    samples.forEach((s, i) => {
      const t = held!.startedAt + held!.atMs[i]! + held!.bucketMs;
      warnings.push(...w.feed({ t, channel: 'target', values: s as Record<string, number> }));
    });
    const violations = warnings.filter((x) => x.kind === 'violation');
    expect(violations).toHaveLength(3); // one per incident: re-armed between them (35 s apart)
    const onsets = held!.violations.map((v) => held!.startedAt + v.startMs + held!.bucketMs);
    expect(violations.map((x) => x.at)).toEqual(onsets);
    // a forecast before at least two of the three, within the horizon
    const ahead = onsets.filter((on) => warnings.some((x) => x.kind === 'forecast' && x.at < on && on - x.at <= 10_000));
    expect(ahead.length).toBeGreaterThanOrEqual(2);
    const f = warnings.find((x) => x.kind === 'forecast');
    expect(f?.p).toBeGreaterThanOrEqual(model.threshold);
    expect(f?.message).toContain('within 10 s');
    // the hint of the violation: the p99 ramp or the CPU started moving seconds before it
    const hint = violations[0]?.hint;
    expect(['p99LatencyMs', 'cpuPercent', 'p50LatencyMs']).toContain(hint?.first);
    expect(hint?.moved.find((m) => m.metric === hint.first)?.leadMs).toBeGreaterThan(1000);
  });

  it('raises on rising edges only, and again after the re-arm time', () => {
    const w = new Watcher({ detector, scoreThreshold: 0.25, rearmMs: 5000, bounds: { maxErrorRate: 0.1 } });
    const out: Warning[] = [];
    const rand = rng(5);
    const feed = (t: number, errorRate: number): void => void out.push(...w.feed({ t, channel: 'c', values: { errorRate, p99LatencyMs: 10 + rand() * 2 } }));
    let t = 0;
    for (; t < 20_000; t += 250) feed(t, 0);
    expect(out).toEqual([]);
    for (let k = 0; k < 8; k++, t += 250) feed(t, 0.5); // violated for 2 s: one violation warning
    for (let k = 0; k < 8; k++, t += 250) feed(t, 0); // steady again
    for (let k = 0; k < 4; k++, t += 250) feed(t, 0.5); // again within 5 s: not re-raised
    expect(out.filter((x) => x.kind === 'violation')).toHaveLength(1);
    for (let k = 0; k < 40; k++, t += 250) feed(t, 0);
    feed(t, 0.5); // after 10 s steady: raised again
    expect(out.filter((x) => x.kind === 'violation')).toHaveLength(2);
    expect(out.find((x) => x.kind === 'anomaly')?.series).toBe('errorRate');
    expect(w.history('c').map((s) => s.name)).toEqual(['errorRate', 'p99LatencyMs']);
  });

  it('names Prometheus series by their labels', () => {
    expect(seriesName({ __name__: 'up', job: 'shop', instance: 'a:1' })).toBe('up{instance="a:1",job="shop"}');
    expect(seriesName({ job: 'shop' })).toBe('{job="shop"}');
    expect(seriesName({})).toBe('{}');
  });
});
