// The recorded early-warning corpus: labels from observations (bucketVerdict), process columns, reading and
// checking corpus folders (the committed corpus-mini, trimmed from real recorded runs), the record script's
// argument checks, and `faultline observe warn-eval` in-process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerObserveWatch } from '../../../src/cli/commands/observe-watch.js';
import type { CliContext } from '../../../src/cli/context.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import type { Observation, TimelineBucket } from '../../../src/core/run.js';
import type { EarlyEvalResult } from '../../../src/observe/anomaly/early-eval.js';
import { checkModel } from '../../../src/observe/anomaly/forecast.js';
import { runSamples } from '../../../src/observe/anomaly/signals.js';
import { readWarnCorpus, violationIntervals, warnRunFromObservation, withMinViolation } from '../../../src/observe/anomaly/warn-corpus.js';

const MINI = resolve(__dirname, '../../fixtures/observe/corpus-mini');
const REPO = resolve(__dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'fl-early-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bucket = (atMs: number, errorRate: number, p99: number, requests = 10): TimelineBucket => ({
  atMs,
  requests,
  ok: Math.round(requests * (1 - errorRate)),
  errors: Math.round(requests * errorRate),
  errorRate,
  errorsByKind: {},
  throughputPerSec: (requests * (1 - errorRate) * 1000) / 250,
  latencyMs: { p50: p99 / 2, p90: p99, p99, p999: p99, max: p99, mean: p99 / 2 },
});

describe('corpus runs', () => {
  it('labels violations with the figures\' bucketVerdict and merges short gaps', () => {
    const buckets = [bucket(0, 0, 10), bucket(250, 0.5, 10), bucket(500, 0, 10), bucket(750, 0, 80), bucket(1000, 0, 10, 0), bucket(1250, 0, 10)];
    for (let i = 6; i < 20; i++) buckets.push(bucket(i * 250, 0, 10));
    buckets.push(bucket(20 * 250, 0.2, 10));
    const obs: Observation = { startedAt: 1000, durationMs: 21 * 250, bucketMs: 250, buckets, events: [], process: [], summary: bucket(0, 0, 0) };
    const run = warnRunFromObservation(obs, { maxErrorRate: 0.01, maxP99LatencyMs: 50 }, { id: 'r', title: 't' });
    expect(run.verdicts.slice(0, 6)).toBe('svsvns');
    // 250–500 and 750–1000 are 250 ms apart (< 2 s): one violation; the one at 5 s is another
    expect(run.violations).toEqual([
      { startMs: 250, endMs: 1000 },
      { startMs: 5000, endMs: 5250 },
    ]);
    expect(run.columns.p99LatencyMs?.[4]).toBeNull(); // no traffic, no latency
    expect(violationIntervals(run.atMs, run.verdicts, 250, 0)).toHaveLength(3);
    expect(withMinViolation(run, 500).violations).toEqual([{ startMs: 250, endMs: 1000 }]);
  });

  it('carries the latest process sample per service into each bucket, not a stale one', () => {
    const buckets = Array.from({ length: 12 }, (_, i) => bucket(i * 250, 0, 10));
    const obs: Observation = {
      startedAt: 0,
      durationMs: 3000,
      bucketMs: 250,
      buckets,
      events: [],
      summary: bucket(0, 0, 0),
      process: [
        { atMs: 100, pid: 1, service: 'api', cpuPercent: 10, rssBytes: 100, openFds: 5 },
        { atMs: 600, pid: 1, service: 'api', cpuPercent: 30, rssBytes: 110, openFds: 6 },
        { atMs: 100, pid: 2, service: 'db', cpuPercent: 50, rssBytes: 1000, openFds: 9 },
      ],
    };
    const run = warnRunFromObservation(obs, { maxErrorRate: 0.01 }, { id: 'p', title: 'p' });
    expect(run.columns['api.cpuPercent']?.slice(0, 4)).toEqual([10, 10, 30, 30]);
    // db's only sample is at 100 ms: older than 1.5 s by the bucket ending at 1,750 ms
    expect(run.columns['db.cpuPercent']?.[5]).toBe(50);
    expect(run.columns['db.cpuPercent']?.[6]).toBeNull();
    // the forecaster's signals fold the services: CPU the busiest, RSS the sum
    expect(runSamples(run)[0]).toMatchObject({ cpuPercent: 50, rssBytes: 1100, openFds: 14 });
  });

  it('reads the committed mini corpus (trimmed real runs)', () => {
    const runs = readWarnCorpus(MINI);
    expect(runs.map((r) => r.id)).toEqual(['run-01-trim', 'run-02-trim', 'run-03-trim']);
    for (const r of runs) {
      expect(r.atMs).toHaveLength(100);
      expect(r.violations.some((v) => v.startMs === 15_000)).toBe(true);
      expect(r.events.some((e) => e.kind === 'inject')).toBe(true);
    }
  });

  it('names the file and field of a bad corpus', () => {
    const dir = join(tmp, 'bad');
    const err = (fn: () => unknown): { code: string; message: string } | undefined => {
      try {
        fn();
      } catch (e) {
        return isFaultlineError(e) ? { code: e.code, message: e.message } : { code: 'other', message: String(e) };
      }
      return undefined;
    };
    expect(err(() => readWarnCorpus(dir))?.code).toBe('FL_ERR_WARN_CORPUS');
    rmSync(dir, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', dir]);
    const good = JSON.parse(readFileSync(join(MINI, 'run-01-trim.json'), 'utf8'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ ...good, verdicts: good.verdicts.slice(1) }));
    const e = err(() => readWarnCorpus(dir));
    expect(e?.code).toBe('FL_ERR_WARN_CORPUS');
    expect(e?.message).toContain('a.json');
    expect(e?.message).toContain('verdicts');
    writeFileSync(join(dir, 'a.json'), '{"format":"faultline-warn-corpus/1",');
    expect(err(() => readWarnCorpus(dir))?.message).toContain('not valid JSON');
  });
});

describe('scripts/record-corpus.mjs', () => {
  it('refuses a corpus folder inside the repository and unknown arguments', () => {
    const inside = spawnSync(process.execPath, ['scripts/record-corpus.mjs', '--out', join(REPO, 'corpus')], { cwd: REPO, encoding: 'utf8' });
    expect(inside.status).toBe(2);
    expect(inside.stderr).toContain('inside the repository');
    const unknown = spawnSync(process.execPath, ['scripts/record-corpus.mjs', '--out', tmp, '--frobnicate'], { cwd: REPO, encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown argument --frobnicate');
  });
});

async function cli(args: string[]): Promise<{ data: unknown; text: string }> {
  let data: unknown;
  let text = '';
  const ctx = {
    json: true,
    configPath: 'faultline.yaml',
    print(d: unknown, human: string | (() => string)) {
      data = d;
      text = typeof human === 'string' ? human : human();
    },
    progress() {},
  } as unknown as CliContext;
  const program = new Command('faultline').exitOverride();
  registerObserveWatch(program.command('observe'), () => ctx);
  await program.parseAsync(['observe', ...args], { from: 'user' });
  return { data, text };
}

describe('faultline observe warn-eval', () => {
  it('evaluates the mini corpus leave one run out and saves a model', async () => {
    const model = join(tmp, 'model.json');
    const { data, text } = await cli(['warn-eval', '--data', MINI, '--horizon', '5s', '--baselines', 'robust-z,ewma', '--save-model', model]);
    const r = data as EarlyEvalResult & { model: string };
    expect(r).toMatchObject({ runs: 3, buckets: 300, horizonMs: 5000, minViolationMs: 1000, detector: 'context', model });
    // each trimmed run has its one ≥ 1 s violation at 15 s (after the 10 s warm-up); run-02's short ones are not judged
    expect(r.violations).toBe(4);
    expect(r.perRun.map((p) => p.violations)).toEqual([1, 2, 1]);
    expect(Object.keys(r.baselines)).toEqual(['detector:robust-z', 'detector:ewma', 'bound-proximity']);
    for (const w of [r.forecaster, ...Object.values(r.baselines)]) {
      expect(w.thresholds).toHaveLength(3);
      expect(w.warned).toBeLessThanOrEqual(w.violations);
      expect(w.falseAlarmsPerHour).toBeGreaterThanOrEqual(0);
    }
    expect(text).toContain('forecaster (context)');
    expect(text).toContain('false alarms/h');
    const saved = checkModel(JSON.parse(readFileSync(model, 'utf8')));
    expect(saved.horizonMs).toBe(5000);
    expect(saved.trainedOn.runs).toHaveLength(3);
  });

  it('rejects a bad horizon and unknown detectors', async () => {
    await expect(cli(['warn-eval', '--data', MINI, '--horizon', 'soon'])).rejects.toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT' });
    await expect(cli(['warn-eval', '--data', MINI, '--detector', 'crystal-ball'])).rejects.toMatchObject({ code: 'FL_ERR_DETECTOR_NOT_FOUND' });
  });
});
