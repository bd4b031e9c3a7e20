// Reproduces the Numenta Anomaly Benchmark's published scores (results/final_results.json) from its published result
// files with faultline's port of the scorer. Runs only when NAB_ROOT points at a NAB checkout (data/, labels/,
// results/, config/); skipped otherwise. NAB's data is never copied into this repository.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROFILE_NAMES, readNabCorpus, readNabThresholds, readPublishedFinal, readPublishedResults, scoreCorpus, type PublishedScores } from '../../../src/observe/anomaly/nab/index.js';
import type { LabelledSeries } from '../../../src/observe/anomaly/types.js';

const ROOT = process.env.NAB_ROOT;
const enabled = ROOT !== undefined && existsSync(join(ROOT, 'results', 'final_results.json'));

describe.skipIf(!enabled)('NAB published scores (NAB_ROOT)', () => {
  const root = ROOT as string;
  let corpus: LabelledSeries[];
  let published: Map<string, PublishedScores>;
  beforeAll(async () => {
    corpus = await readNabCorpus(root);
    published = (await readPublishedFinal(root)) as Map<string, PublishedScores>;
  });

  it('reads the 58 labelled series and their 116 windows', () => {
    expect(corpus).toHaveLength(58);
    expect(corpus.reduce((n, s) => n + s.windows.length, 0)).toBe(116);
  });

  // with the threshold optimised over the corpus, as NAB's current code does; these detectors' published scores
  // were computed that way (others' were scored at older thresholds in config/thresholds.json, see below)
  it.each(['numenta', 'windowedGaussian', 'knncad', 'ARTime', 'contextOSE', 'null'])('%s: optimised thresholds reproduce final_results.json within 0.1', async (detector) => {
    const ref = published.get(detector) as PublishedScores;
    const scores = await readPublishedResults(root, detector);
    const t0 = performance.now();
    const r = scoreCorpus(corpus, scores);
    expect(performance.now() - t0).toBeLessThan(5000);
    for (const p of PROFILE_NAMES) expect(Math.abs(r[p] - ref[p])).toBeLessThan(0.1);
    // an optimised threshold can only do as well or better than any other
    expect(r.standard).toBeGreaterThanOrEqual(ref.standard - 1e-9);
  });

  it('every published detector, scored at config/thresholds.json, reproduces final_results.json within 0.001', async () => {
    const diffs: Record<string, number> = {};
    for (const detector of published.keys()) {
      if (!existsSync(join(root, 'results', detector))) continue;
      const thresholds = await readNabThresholds(join(root, 'config', 'thresholds.json'), detector);
      if (thresholds === undefined) continue;
      const r = scoreCorpus(corpus, await readPublishedResults(root, detector), { thresholds });
      const ref = published.get(detector) as PublishedScores;
      diffs[detector] = Math.max(...PROFILE_NAMES.map((p) => Math.abs(r[p] - ref[p])));
    }
    expect(Object.keys(diffs).length).toBeGreaterThanOrEqual(7);
    for (const [detector, d] of Object.entries(diffs)) expect({ detector, d: d < 0.001 }).toEqual({ detector, d: true });
  });
});
