// `faultline observe eval` registered into a commander program as main.ts does, run in-process on the synthetic
// NAB-layout fixture (test/fixtures/observe/nab-mini).
import { resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../../src/cli/context.js';
import { register, type EvalOutput } from '../../../src/cli/commands/observe.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { DETECTORS } from '../../../src/observe/anomaly/registry.js';

const MINI = resolve(__dirname, '../../fixtures/observe/nab-mini');

async function run(args: string[], json = true, sub = 'eval'): Promise<{ data: unknown; text: string }> {
  let data: unknown;
  let text = '';
  const ctx = {
    json,
    configPath: 'faultline.yaml',
    print(d: unknown, human: string | (() => string)) {
      data = d;
      text = typeof human === 'string' ? human : human();
    },
    progress() {},
  } as unknown as CliContext;
  const program = new Command('faultline').exitOverride();
  register(program, () => ctx);
  await program.parseAsync(['observe', sub, ...args].filter((a) => a !== ''), { from: 'user' });
  return { data, text };
}

async function errorOf(args: string[]): Promise<{ code: string; message: string } | undefined> {
  try {
    await run(args);
  } catch (e) {
    return isFaultlineError(e) ? { code: e.code, message: e.message } : { code: 'other', message: String(e) };
  }
  return undefined;
}

describe('faultline observe detectors', () => {
  it('lists every registered detector once, the default marked', async () => {
    const { data, text } = await run([], false, 'detectors');
    const rows = data as { name: string; default: boolean; multivariate: string }[];
    expect(rows.map((r) => r.name)).toEqual(DETECTORS.map((d) => d.name));
    expect(rows.filter((r) => r.default)).toHaveLength(1);
    expect(text.split('\n').filter((l) => l.startsWith('*'))).toHaveLength(1);
    expect(rows.find((r) => r.name === 'isolation-forest')?.multivariate).toBe('native');
  });
});

describe('faultline observe eval', () => {
  it('scores a published result folder beside its final_results.json figure', async () => {
    const { data, text } = await run(['--data', MINI, '--published', 'mini']);
    const out = data as EvalOutput;
    expect(out.corpus).toMatchObject({ series: 2, samples: 50, windows: 1 });
    expect(out.detectors).toEqual({});
    const mini = out.published.mini;
    // derived by hand in nab-corpus.test.ts: 100 · (tanh(1.875)/tanh(2.5) + 1) / 2
    expect(mini?.standard).toBeCloseTo(98.3495, 4);
    expect(mini?.reference).toEqual({ standard: 98.3, lowFP: 98.0, lowFN: 97.5 });
    expect(mini?.thresholdsFrom).toBe('optimised');
    expect(text).toContain('mini');
    expect(text).toContain('98.3 / 98.0 / 97.5');
  });

  it('scores at NAB\'s thresholds.json when asked', async () => {
    const { data } = await run(['--data', MINI, '--published', 'mini', '--published-thresholds']);
    const mini = (data as EvalOutput).published.mini;
    expect(mini?.thresholdsFrom).toBe('thresholds.json');
    expect(mini?.thresholds.standard.threshold).toBe(0.6);
    expect(mini?.standard).toBeCloseTo(87.3495, 4); // 100 · (0.966989 − 0.22 + 1) / 2
  });

  it('runs faultline detectors by name and scores them', async () => {
    const name = DETECTORS[0]?.name as string;
    const { data } = await run(['--data', MINI, '--detectors', name]);
    const r = (data as EvalOutput).detectors[name];
    expect(Object.keys((data as EvalOutput).detectors)).toEqual([name]);
    for (const p of ['standard', 'lowFP', 'lowFN'] as const) {
      expect(Number.isFinite(r?.[p])).toBe(true);
      expect(r?.[p]).toBeLessThanOrEqual(100);
    }
  });

  it('says what is wrong with the input', async () => {
    const noData = await errorOf(['--data', resolve(MINI, 'labels'), '--published', 'mini']);
    expect(noData?.code).toBe('FL_ERR_NAB_CORPUS');
    expect(noData?.message).toContain('data/');
    expect((await errorOf(['--data', MINI, '--published', 'nobody']))?.code).toBe('FL_ERR_NAB_RESULTS');
    const unknown = await errorOf(['--data', MINI, '--detectors', 'no-such-detector']);
    expect(unknown?.code).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(unknown?.message).toContain(DETECTORS[0]?.name as string);
  });
});
