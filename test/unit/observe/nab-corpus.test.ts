// The NAB corpus reader, the published-results reader and runDetector, on a tiny synthetic corpus in NAB's layout
// (test/fixtures/observe/nab-mini: not NAB data).
import { cpSync, mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import {
  parseNabTimestamp,
  parseProfiles,
  readNabCorpus,
  readNabThresholds,
  readPublishedFinal,
  readPublishedResults,
  runDetector,
  scoreCorpus,
} from '../../../src/observe/anomaly/nab/index.js';
import type { DetectorContext, DetectorSpec } from '../../../src/observe/anomaly/types.js';

const MINI = resolve(__dirname, '../../fixtures/observe/nab-mini');
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** a writable copy of the fixture, for the broken-corpus cases */
function copy(): string {
  const d = mkdtempSync(join(tmpdir(), 'nab-mini-'));
  temps.push(d);
  cpSync(MINI, d, { recursive: true });
  return d;
}

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string } | undefined> {
  try {
    await p;
  } catch (e) {
    return isFaultlineError(e) ? { code: e.code, message: e.message } : { code: 'other', message: String(e) };
  }
  return undefined;
}

describe('parseNabTimestamp', () => {
  it('reads NAB data and label timestamps as UTC', () => {
    expect(parseNabTimestamp('2015-03-01 01:35:00')).toBe(Date.UTC(2015, 2, 1, 1, 35));
    expect(parseNabTimestamp('2015-03-01 01:35:00.000000')).toBe(Date.UTC(2015, 2, 1, 1, 35));
    expect(parseNabTimestamp('2015-03-01T01:35:00.250Z')).toBe(Date.UTC(2015, 2, 1, 1, 35, 0, 250));
    expect(parseNabTimestamp('yesterday')).toBeNaN();
  });
});

describe('readNabCorpus', () => {
  it('reads the labelled series, sorted, with windows in epoch ms', async () => {
    const corpus = await readNabCorpus(MINI);
    expect(corpus.map((s) => s.name)).toEqual(['grpA/alpha.csv', 'grpB/beta.csv']); // unlabelled.csv is not in the labels
    const [alpha, beta] = corpus;
    expect(alpha?.timestamps).toHaveLength(30);
    expect(alpha?.timestamps[1]).toBe(Date.UTC(2015, 2, 1, 0, 5));
    expect(alpha?.values[1]).toBe(10.654);
    expect(alpha?.values[20]).toBe(35.748);
    expect(alpha?.windows).toEqual([[Date.UTC(2015, 2, 1, 1, 35), Date.UTC(2015, 2, 1, 1, 50)]]);
    expect(beta?.timestamps).toHaveLength(20);
    expect(beta?.windows).toEqual([]);
  });

  it('names what is missing when the folder is not a NAB corpus', async () => {
    const nowhere = await codeOf(readNabCorpus(join(MINI, 'no-such-folder')));
    expect(nowhere?.code).toBe('FL_ERR_NAB_CORPUS');
    const noData = await codeOf(readNabCorpus(join(MINI, 'labels')));
    expect(noData).toMatchObject({ code: 'FL_ERR_NAB_CORPUS' });
    expect(noData?.message).toContain('data/');

    const d1 = copy();
    unlinkSync(join(d1, 'labels', 'combined_windows.json'));
    const noLabels = await codeOf(readNabCorpus(d1));
    expect(noLabels?.code).toBe('FL_ERR_NAB_CORPUS');
    expect(noLabels?.message).toContain('combined_windows.json');

    const d2 = copy();
    unlinkSync(join(d2, 'data', 'grpB', 'beta.csv'));
    const noFile = await codeOf(readNabCorpus(d2));
    expect(noFile?.code).toBe('FL_ERR_NAB_CORPUS');
    expect(noFile?.message).toContain('grpB/beta.csv');
  });

  it('refuses a window edge that is not a timestamp of its series, as NAB does', async () => {
    const d = copy();
    writeFileSync(join(d, 'labels', 'combined_windows.json'), JSON.stringify({ 'grpA/alpha.csv': [['2015-03-01 01:36:00.000000', '2015-03-01 01:50:00.000000']], 'grpB/beta.csv': [] }));
    const r = await codeOf(readNabCorpus(d));
    expect(r?.code).toBe('FL_ERR_NAB_CORPUS');
    expect(r?.message).toContain('2015-03-01T01:36:00.000Z');
  });

  it('reads another label file when asked', async () => {
    const d = copy();
    writeFileSync(join(d, 'labels', 'tiny.json'), JSON.stringify({ 'grpB/beta.csv': [['2015-06-01 05:00:00', '2015-06-01 07:00:00']] }));
    const corpus = await readNabCorpus(d, { labels: 'labels/tiny.json' });
    expect(corpus.map((s) => [s.name, s.windows.length])).toEqual([['grpB/beta.csv', 1]]);
  });
});

describe('published results', () => {
  it('reads anomaly scores per series name, matching the corpus', async () => {
    const scores = await readPublishedResults(MINI, 'mini');
    expect([...scores.keys()]).toEqual(['grpA/alpha.csv', 'grpB/beta.csv']);
    expect(scores.get('grpA/alpha.csv')?.[20]).toBe(0.9);
    expect(scores.get('grpA/alpha.csv')?.[8]).toBe(0.6);
    expect(scores.get('grpB/beta.csv')).toHaveLength(20);
    expect((await codeOf(readPublishedResults(MINI, 'nobody')))?.code).toBe('FL_ERR_NAB_RESULTS');
  });

  it('reads final_results.json and thresholds.json', async () => {
    expect((await readPublishedFinal(MINI))?.get('mini')).toEqual({ standard: 98.3, lowFP: 98.0, lowFN: 97.5 });
    expect(await readNabThresholds(join(MINI, 'config', 'thresholds.json'), 'mini')).toEqual({ standard: 0.6, lowFP: 0.6, lowFN: 0.6 });
    expect(await readNabThresholds(join(MINI, 'config', 'thresholds.json'), 'nobody')).toBeUndefined();
  });

  it('scores the published results of the mini corpus', async () => {
    const corpus = await readNabCorpus(MINI);
    const scores = await readPublishedResults(MINI, 'mini');
    const r = scoreCorpus(corpus, scores);
    // alpha: 30 rows, probationary ⌊4.5⌋ = 4, window rows 19..22 (W = 4). Detections: row 20 (0.9), p = −3/4 → tanh(1.875)/tanh(2.5)
    // = 0.966989; row 8 (0.6) before the window: −0.11. beta: 20 rows, probationary 3, row 10 (0.6): −0.11, no window.
    // best standard threshold 0.9 → raw 0.966989. Null (everything detected): 1 − 0.11·(32 + Σₖ₌₁..₇ tanh(2.5k/3)) ≈ −3.2 < −1 → −1.
    // standard = 100 · (0.966989 + 1) / (1 + 1) = 98.3495
    const tp = Math.tanh(1.875) / Math.tanh(2.5);
    expect(r.thresholds.standard).toMatchObject({ threshold: 0.9, nullRaw: -1, perfectRaw: 1 });
    expect(r.standard).toBeCloseTo(50 * (tp + 1), 10);
    expect(r.standard).toBeCloseTo(98.3495, 4);
    // at NAB's thresholds.json (0.6): 0.966989 − 0.11 − 0.11 = 0.746989 → 100 · 1.746989 / 2 = 87.3495
    const at = scoreCorpus(corpus, scores, { thresholds: { standard: 0.6 } });
    expect(at.standard).toBeCloseTo(87.3495, 4);
  });
});

describe('profiles', () => {
  it('parses NAB\'s profiles.json format', () => {
    const p = parseProfiles(
      JSON.stringify({
        standard: { CostMatrix: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11, tnWeight: 1 } },
        reward_low_FP_rate: { CostMatrix: { tpWeight: 1, fnWeight: 1, fpWeight: 0.22, tnWeight: 1 } },
        reward_low_FN_rate: { CostMatrix: { tpWeight: 1, fnWeight: 2, fpWeight: 0.11, tnWeight: 1 } },
      }),
      'profiles.json',
    );
    expect(p.lowFN.fnWeight).toBe(2);
    expect(p.lowFP.fpWeight).toBe(0.22);
    expect(() => parseProfiles('{"standard": {}}', 'p.json')).toThrow(/standard\.CostMatrix\.tpWeight/);
  });
});

describe('runDetector', () => {
  /** a real, if simple, detector for the test: |value − previous| / (max − min), 0 during probation */
  const seen: DetectorContext[] = [];
  const jump: DetectorSpec = {
    name: 'jump',
    description: 'absolute change from the previous sample, scaled by the range',
    create(ctx) {
      seen.push(ctx);
      let prev: number | undefined;
      let i = 0;
      return {
        update(_t, v) {
          const range = (ctx.inputMax ?? 1) - (ctx.inputMin ?? 0) || 1;
          const s = prev === undefined || i < ctx.probationary ? 0 : Math.min(1, Math.abs(v - prev) / range);
          prev = v;
          i++;
          return s;
        },
        memoryBytes: () => 16,
      };
    },
  };

  it('runs a fresh instance per series with NAB\'s context, and the result scores like any other', async () => {
    const corpus = await readNabCorpus(MINI);
    const progress: Array<[number, number]> = [];
    const scores = runDetector(jump, corpus, { onProgress: (d, t) => progress.push([d, t]) });
    expect(progress).toEqual([[1, 2], [2, 2]]);
    expect(seen.map((c) => [c.probationary, c.inputMin, c.inputMax])).toEqual([
      [4, 8.002, 36.735],
      [3, 100, 103],
    ]);
    expect(seen[0]?.seed).not.toBe(seen[1]?.seed);
    const alpha = scores.get('grpA/alpha.csv') as number[];
    expect(alpha.slice(0, 4)).toEqual([0, 0, 0, 0]);
    // the jump into the spike (row 20: 10.1 → 35.748) is the largest change
    expect(alpha.indexOf(Math.max(...alpha))).toBe(20);
    expect(alpha[20]).toBeCloseTo((35.748 - 10.1) / (36.735 - 8.002), 12);
    // beta cycles 100, 101, 102, 103: each drop 103 → 100 scores 3/3 = 1, at rows 4, 8, 12, 16 (after its probation of 3)
    expect([4, 8, 12, 16].map((i) => scores.get('grpB/beta.csv')?.[i])).toEqual([1, 1, 1, 1]);
    const r = scoreCorpus(corpus, scores);
    // threshold 1: four false positives, window missed: −0.44 − 1; threshold alpha[20] (0.8927) adds the detection at
    // p = −0.75: −0.44 + 0.966989 = 0.526989, the best. Null: −1 (as above). standard = 100 · 1.526989 / 2 = 76.3495
    expect(r.thresholds.standard.threshold).toBe(alpha[20]);
    expect(r.thresholds.standard).toMatchObject({ tp: 1, fp: 4 });
    expect(r.standard).toBeCloseTo(76.3495, 4);
  });

  it('refuses a score outside [0, 1], as NAB\'s runner does', async () => {
    const corpus = await readNabCorpus(MINI);
    const bad: DetectorSpec = { name: 'bad', description: 'returns 2', create: () => ({ update: () => 2, memoryBytes: () => 0 }) };
    let code: string | undefined;
    try {
      runDetector(bad, corpus);
    } catch (e) {
      code = isFaultlineError(e) ? e.code : 'other';
    }
    expect(code).toBe('FL_ERR_NAB_SCORES');
  });
});
