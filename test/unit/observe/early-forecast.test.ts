// The early-warning forecaster and its evaluation: the logistic model, the lead-time / false-alarm metric on
// hand-made timelines, threshold choice, and leave-one-run-out on synthetic corpora with and without precursors.
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { evaluateEarlyWarning } from '../../../src/observe/anomaly/early-eval.js';
import { checkModel, featureOptions, Forecaster, predictRun, runFeatures, trainForecaster } from '../../../src/observe/anomaly/forecast.js';
import { fitLogistic, fitPlatt, logit, sigmoid } from '../../../src/observe/anomaly/logistic.js';
import { DEFAULT_DETECTOR, findDetectorOrThrow } from '../../../src/observe/anomaly/registry.js';
import { runSamples } from '../../../src/observe/anomaly/signals.js';
import { chooseThreshold, evaluateAlarms, rocAuc, summarizeAlarms, type LabelledTimeline } from '../../../src/observe/anomaly/warn-metrics.js';
import { rng, synthCorpus } from './early-synthetic.js';

describe('logistic regression', () => {
  it('recovers the coefficients of a known logistic model', () => {
    const rand = rng(7);
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const a = rand() * 4 - 2;
      const b = rand() * 4 - 2;
      X.push([a, b]);
      y.push(rand() < sigmoid(1.5 * a - 2 * b + 0.5) ? 1 : 0);
    }
    const m = fitLogistic(X, y, { l2: 1e-6, standardise: false });
    expect(m.weights[0]).toBeCloseTo(1.5, 0);
    expect(m.weights[1]).toBeCloseTo(-2, 0);
    expect(m.bias).toBeCloseTo(0.5, 0);
    // standardised fit predicts the same probabilities
    const s = fitLogistic(X, y, { l2: 1e-6 });
    expect(sigmoid(logit(s, [1, -1]))).toBeCloseTo(sigmoid(logit(m, [1, -1])), 3);
  });

  it('Platt scaling maps over-confident logits back to frequencies', () => {
    const rand = rng(3);
    const logits: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const z = rand() * 8 - 4;
      logits.push(z);
      y.push(rand() < sigmoid(z / 4) ? 1 : 0); // the true log-odds are a quarter of the logit
    }
    const c = fitPlatt(logits, y);
    expect(c.a).toBeGreaterThan(0.15);
    expect(c.a).toBeLessThan(0.4);
  });

  it('AUC: 1 for a perfect ranking, 0.5 for ties, 0 for a reversed one', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([1, 2], [1, 1])).toBeNaN();
  });
});

/** 100 buckets of 250 ms; a violation from bucket 60 to 69 */
function timeline(): LabelledTimeline {
  const atMs = Array.from({ length: 100 }, (_, i) => i * 250);
  const verdicts = atMs.map((_, i) => (i >= 60 && i < 70 ? 'v' : 's')).join('');
  return { atMs, bucketMs: 250, verdicts, violations: [{ startMs: 15_000, endMs: 17_500 }] };
}
const alarmsOn = (...ranges: Array<[number, number]>): Uint8Array => {
  const a = new Uint8Array(100);
  for (const [from, to] of ranges) for (let i = from; i <= to; i++) a[i] = 1;
  return a;
};

describe('lead time and false alarms', () => {
  const o = { horizonMs: 5000, warmupMs: 2500 };

  it('measures the lead from the first warning within the horizon to the end of the first violated bucket', () => {
    // alarm at buckets 50..59: bucket 50 ends at 12,750 ms; the violation is seen at 15,250 ms
    const e = evaluateAlarms(timeline(), alarmsOn([50, 59]), o);
    expect(e).toMatchObject({ onsets: 1, warned: 1, falseAlarms: 0, episodes: 1 });
    expect(e.leadTimesMs).toEqual([2500]);
    // the bucket just before the violation leads by one bucket
    expect(evaluateAlarms(timeline(), alarmsOn([59, 59]), o).leadTimesMs).toEqual([250]);
  });

  it('a warning earlier than the horizon does not warn, and is a false alarm', () => {
    // bucket 30 ends at 7,750 ms: 7.5 s before the violation is seen, beyond the 5 s horizon
    const e = evaluateAlarms(timeline(), alarmsOn([30, 30]), o);
    expect(e).toMatchObject({ warned: 0, falseAlarms: 1 });
  });

  it('alarms inside the violation are ignored; after it they are false', () => {
    const e = evaluateAlarms(timeline(), alarmsOn([62, 66]), o);
    expect(e).toMatchObject({ warned: 0, episodes: 0, falseAlarms: 0, alarmMs: 0 });
    expect(evaluateAlarms(timeline(), alarmsOn([75, 76]), o)).toMatchObject({ falseAlarms: 1, episodes: 1 });
  });

  it('an alarm left up counts one false alarm per horizon it stays up without a violation', () => {
    // buckets 10..49 (10 s) up, none within 5 s of the violation: 10 s / 5 s = 2 false alarms
    const e = evaluateAlarms(timeline(), alarmsOn([10, 49]), o);
    expect(e.falseAlarms).toBe(2);
    expect(e.episodes).toBe(1);
    // …and up to the violation: the last 5 s hold, the earlier part is false
    const f = evaluateAlarms(timeline(), alarmsOn([10, 59]), o);
    expect(f).toMatchObject({ warned: 1, falseAlarms: 2 });
    expect(f.leadTimesMs).toEqual([5000]);
  });

  it('ignores alarms and violations in the warm-up, and sums per hour', () => {
    const e = evaluateAlarms(timeline(), alarmsOn([0, 5], [80, 80]), o);
    expect(e.falseAlarms).toBe(1);
    // 100 buckets − 10 violated − 10 in the warm-up (ends at 2,500 ms: buckets 0..8 end before) = 81 buckets
    expect(e.nonViolationMs).toBe(81 * 250);
    const s = summarizeAlarms([e, e]);
    expect(s.falseAlarmsPerHour).toBeCloseTo(2 / ((2 * 81 * 250) / 3_600_000), 6);
    expect(s.leadMedianS).toBeNull();
  });

  it('chooses the threshold that warns most within the false-alarm budget', () => {
    const run = timeline();
    // the score climbs before the violation (0.6..0.9), with one 0.7 blip at bucket 20
    const scores = Array.from({ length: 100 }, (_, i) => (i >= 52 && i < 60 ? 0.6 + (i - 52) * 0.04 : i === 20 ? 0.7 : 0.1));
    const strict = chooseThreshold([{ run, scores }], { ...o, maxFalseAlarmsPerHour: 0 });
    expect(strict.threshold).toBeGreaterThan(0.7);
    expect(strict.summary).toMatchObject({ warned: 1, falseAlarms: 0 });
    // 200/h admits the blip (1 false alarm in 81 buckets ≈ 178/h) but not an alarm that is always up (≈ 711/h)
    const loose = chooseThreshold([{ run, scores }], { ...o, maxFalseAlarmsPerHour: 200 });
    expect(loose.threshold).toBeLessThanOrEqual(0.6);
    expect(loose.summary.leadMedianS).toBe(2);
  });
});

describe('forecaster', () => {
  const ctx = findDetectorOrThrow('robust-z');

  it('warns ahead of violations that creep in, on runs it was not trained on', () => {
    const runs = synthCorpus(4, 8000);
    expect(runs.every((r) => r.violations.length === 3)).toBe(true);
    const r = evaluateEarlyWarning(runs, { horizonMs: 10_000, detector: ctx, baselines: [ctx], maxFalseAlarmsPerHour: 30 });
    expect(r.violations).toBe(12);
    expect(r.forecaster.warnedShare).toBeGreaterThanOrEqual(0.75);
    expect(r.forecaster.leadMedianS as number).toBeGreaterThanOrEqual(2);
    expect(r.forecaster.auc).toBeGreaterThan(0.85);
    expect(r.forecaster.falseAlarmsPerHour).toBeLessThan(100);
    expect(r.perRun.map((p) => p.id)).toEqual(runs.map((x) => x.id));
    expect(Object.keys(r.baselines)).toEqual(['detector:robust-z', 'bound-proximity']);
  });

  it('cannot warn ahead of step faults: no precursor, no lead', () => {
    const runs = synthCorpus(4, 0);
    const r = evaluateEarlyWarning(runs, { horizonMs: 10_000, detector: ctx, baselines: [], maxFalseAlarmsPerHour: 10 });
    expect(r.violations).toBe(12);
    expect(r.forecaster.warnedShare).toBeLessThanOrEqual(0.25);
    // (its AUC is not 0.5: the calm before each step differs from the recovery after the previous one — the
    // schedule, not a precursor — which is why the warned share and lead are the figures that count)
  });

  it('streams the same probabilities as the batch replay, and a model round-trips through JSON', () => {
    const runs = synthCorpus(3, 8000, 11);
    const model = trainForecaster(runs.slice(0, 2), { horizonMs: 10_000, detector: ctx });
    expect(model.trainedOn).toMatchObject({ runs: [runs[0]?.id, runs[1]?.id], violations: 6 });
    const copy = checkModel(JSON.parse(JSON.stringify(model)));
    const held = runs[2]!;
    const batch = predictRun(model, runFeatures(held, featureOptions({ detector: ctx, stepMs: 250 })));
    const f = new Forecaster(copy, held.bounds);
    const samples = runSamples(held);
    samples.forEach((s, i) => {
      const step = f.update(held.startedAt + held.atMs[i]! + held.bucketMs, s);
      expect(step.p).toBeCloseTo(batch[i]!, 12);
      expect(step.p).toBeGreaterThanOrEqual(0);
      expect(step.p).toBeLessThanOrEqual(1);
    });
    expect(f.memoryBytes()).toBeLessThan(400_000);
  });

  it('refuses what it cannot train on or read', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return isFaultlineError(e) ? e.code : String(e);
      }
      return undefined;
    };
    const runs = synthCorpus(3, 8000);
    expect(code(() => trainForecaster(runs.slice(0, 1), { horizonMs: 10_000 }))).toBe('FL_ERR_WARN_MODEL');
    const quiet = runs.map((r) => ({ ...r, violations: [] }));
    expect(code(() => trainForecaster(quiet, { horizonMs: 10_000, detector: DEFAULT_DETECTOR }))).toBe('FL_ERR_WARN_MODEL');
    expect(code(() => evaluateEarlyWarning(runs.slice(0, 2), { horizonMs: 10_000 }))).toBe('FL_ERR_WARN_CORPUS');
    expect(code(() => checkModel({ format: 'faultline-forecast/1', featureNames: ['x'] }))).toBe('FL_ERR_WARN_MODEL');
    expect(code(() => checkModel({ format: 'other' }))).toBe('FL_ERR_WARN_MODEL');
  });
});
