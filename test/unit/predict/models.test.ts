import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { rocAuc } from '../../../src/predict/metrics.js';
import { ensembleModel, fitForest, fitGbt, fitLogistic, fitModel, loadModel, logit, MODEL_KINDS } from '../../../src/predict/models/index.js';

const features = ['a', 'b', 'noise'];

/** y depends linearly on a (and not on noise). */
function linear(n: number, seed: number): { X: number[][]; y: number[] } {
  const rng = createRng(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.normal(0, 1);
    const b = rng.normal(0, 1);
    X.push([a, b, rng.normal(0, 1)]);
    y.push(rng.next() < 1 / (1 + Math.exp(-(2 * a - 1 * b - 1))) ? 1 : 0);
  }
  return { X, y };
}

/** y = a XOR b: no linear model can rank it. */
function xor(n: number, seed: number): { X: number[][]; y: number[] } {
  const rng = createRng(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.next();
    const b = rng.next();
    X.push([a, b, rng.next()]);
    const p = (a > 0.5) !== (b > 0.5) ? 0.9 : 0.1;
    y.push(rng.next() < p ? 1 : 0);
  }
  return { X, y };
}

const auc = (m: { predict(x: number[]): number }, d: { X: number[][]; y: number[] }): number => rocAuc(d.X.map((x) => m.predict(x)), d.y);

describe('predict models', () => {
  const train = linear(600, 1);
  const test = linear(600, 2);
  it('logistic regression recovers the signs of a linear signal and ranks held-out rows', () => {
    const m = fitLogistic(train.X, train.y, { features });
    const j = m.toJSON();
    if (j.kind !== 'logistic') throw new Error('kind');
    expect(j.coef[0]).toBeGreaterThan(0.5);
    expect(j.coef[1]).toBeLessThan(-0.2);
    expect(Math.abs(j.coef[2] as number)).toBeLessThan(0.3);
    expect(auc(m, test)).toBeGreaterThan(0.8);
  });
  it('logistic contributions + intercept equal the margin', () => {
    const m = fitLogistic(train.X, train.y, { features, balanced: true });
    const x = test.X[3] as number[];
    const j = m.toJSON() as { intercept: number };
    const sum = m.explain(x).reduce((s, v) => s + v, j.intercept);
    expect(sum).toBeCloseTo(logit(m.predict(x)), 3);
  });
  it('stronger L2 shrinks the coefficients', () => {
    const weak = fitLogistic(train.X, train.y, { features, l2: 0.01 }).toJSON() as { coef: number[] };
    const strong = fitLogistic(train.X, train.y, { features, l2: 1000 }).toJSON() as { coef: number[] };
    expect(Math.abs(strong.coef[0] as number)).toBeLessThan(Math.abs(weak.coef[0] as number) / 2);
  });
  it('trees learn an interaction that logistic regression cannot', () => {
    const tr = xor(800, 3);
    const te = xor(800, 4);
    expect(auc(fitLogistic(tr.X, tr.y, { features }), te)).toBeLessThan(0.65);
    expect(auc(fitGbt(tr.X, tr.y, { features, seed: 7 }), te)).toBeGreaterThan(0.8);
    expect(auc(fitForest(tr.X, tr.y, { features, seed: 7, trees: 60 }), te)).toBeGreaterThan(0.8);
  });
  it('gradient boosting: base + contributions equal the margin; the noise feature contributes little', () => {
    const m = fitGbt(train.X, train.y, { features, seed: 3 });
    const j = m.toJSON() as { base: number; shrinkage: number; trees: { value: number[] }[] };
    const bias = j.trees.reduce((s, t) => s + j.shrinkage * (t.value[0] as number), j.base);
    let noise = 0;
    let signal = 0;
    for (const x of test.X.slice(0, 50)) {
      const c = m.explain(x);
      expect(c.reduce((s, v) => s + v, bias)).toBeCloseTo(logit(m.predict(x)), 3);
      signal += Math.abs(c[0] as number);
      noise += Math.abs(c[2] as number);
    }
    expect(noise).toBeLessThan(signal / 3);
  });
  it('forest contributions + mean root value equal the probability', () => {
    const m = fitForest(train.X, train.y, { features, seed: 3, trees: 30 });
    const j = m.toJSON() as { trees: { value: number[] }[] };
    const bias = j.trees.reduce((s, t) => s + (t.value[0] as number), 0) / j.trees.length;
    const x = test.X[0] as number[];
    expect(m.explain(x).reduce((s, v) => s + v, bias)).toBeCloseTo(m.predict(x), 4);
  });
  it.each(MODEL_KINDS)('%s is deterministic for a seed and survives a JSON round trip', (kind) => {
    const opts = { features, seed: 11 };
    const a = fitModel(kind, train.X, train.y, opts);
    const b = fitModel(kind, train.X, train.y, opts);
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    const back = loadModel(JSON.parse(JSON.stringify(a.toJSON())));
    for (const x of test.X.slice(0, 40)) expect(back.predict(x)).toBeCloseTo(a.predict(x), 4);
  });
  it('an ensemble predicts the members\' mean, explains in probability units and round-trips', () => {
    const members = MODEL_KINDS.map((k) => fitModel(k, train.X, train.y, { features, seed: 2 }, k === 'forest' ? { trees: 30 } : {}));
    const e = ensembleModel(members);
    const x = test.X[5] as number[];
    expect(e.predict(x)).toBeCloseTo(members.reduce((s, m) => s + m.predict(x), 0) / 3, 12);
    expect(e.explain(x)).toHaveLength(3);
    expect(Math.abs(e.explain(x)[0] as number)).toBeGreaterThan(Math.abs(e.explain(x)[2] as number));
    const back = loadModel(JSON.parse(JSON.stringify(e.toJSON())));
    expect(back.kind).toBe('ensemble');
    expect(back.predict(x)).toBeCloseTo(e.predict(x), 4);
  });
  it('seeds change the trees', () => {
    const a = fitGbt(train.X, train.y, { features, seed: 1 });
    const b = fitGbt(train.X, train.y, { features, seed: 2 });
    expect(JSON.stringify(a.toJSON())).not.toBe(JSON.stringify(b.toJSON()));
  });
  it('class weights (balanced) raise the probabilities of a rare class', () => {
    const rare = { X: train.X, y: train.y.map((v, i) => (v === 1 && i % 4 === 0 ? 1 : 0)) };
    const plain = fitLogistic(rare.X, rare.y, { features });
    const balanced = fitLogistic(rare.X, rare.y, { features, balanced: true });
    const mean = (m: typeof plain): number => test.X.reduce((s, x) => s + m.predict(x), 0) / test.X.length;
    expect(mean(balanced)).toBeGreaterThan(mean(plain) * 1.5);
  });
  it('rejects bad input with FL_ERR_PREDICT_INPUT and bad models with FL_ERR_PREDICT_MODEL', () => {
    expect(() => fitLogistic([[1, 2]], [1], { features })).toThrow(expect.objectContaining({ code: 'FL_ERR_PREDICT_INPUT' }));
    expect(() => fitGbt([[1, 2, 3]], [2], { features })).toThrow(expect.objectContaining({ code: 'FL_ERR_PREDICT_INPUT' }));
    expect(() => loadModel({ kind: 'svm', features: [] })).toThrow(expect.objectContaining({ code: 'FL_ERR_PREDICT_MODEL' }));
  });
});
