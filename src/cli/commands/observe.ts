import { isAbsolute, join, resolve } from 'node:path';
import { FaultlineError } from '../../core/errors.js';
import { DEFAULT_DETECTOR, DETECTORS, findDetector } from '../../observe/anomaly/registry.js';
import {
  type CorpusScore,
  DEFAULT_LABELS,
  PROFILE_NAMES,
  type ProfileName,
  type ProfileResult,
  type Profiles,
  type PublishedScores,
  readNabCorpus,
  readNabThresholds,
  readProfiles,
  readPublishedFinal,
  readPublishedResults,
  runDetector,
  scoreCorpus,
} from '../../observe/anomaly/nab/index.js';
import type { DetectorSpec } from '../../observe/anomaly/types.js';
import type { RegisterCommands } from '../context.js';

interface EvalOptions {
  data: string;
  detectors?: string;
  published?: string;
  labels: string;
  profiles?: string;
  publishedThresholds?: boolean;
  seed: string;
}

interface Scored {
  standard: number;
  lowFP: number;
  lowFN: number;
  thresholds: Record<ProfileName, ProfileResult>;
  scoreMs: number;
}

export interface EvalOutput {
  corpus: { root: string; labels: string; series: number; samples: number; windows: number };
  detectors: Record<string, Scored & { runMs: number }>;
  published: Record<string, Scored & { thresholdsFrom: 'optimised' | 'thresholds.json'; reference?: PublishedScores }>;
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function pickDetectors(names: string[] | undefined, defaultAll: boolean): DetectorSpec[] {
  if (names === undefined) return defaultAll ? [...DETECTORS] : [];
  if (names.length === 1 && names[0] === 'all') return [...DETECTORS];
  return names.map((n) => {
    const d = findDetector(n);
    if (d === undefined) {
      throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--detectors: "${n}" is not a detector; use a comma-separated list of ${DETECTORS.map((x: DetectorSpec) => x.name).join(', ')} (or all)`, { context: { attribute: 'detectors', value: n } });
    }
    return d;
  });
}

function scored(r: CorpusScore, ms: number): Scored {
  return { standard: r.standard, lowFP: r.lowFP, lowFN: r.lowFN, thresholds: r.thresholds, scoreMs: Math.round(ms) };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function render(out: EvalOutput): string {
  const f = (x: number): string => x.toFixed(1).padStart(7);
  const lines = [
    `NAB corpus ${out.corpus.root}: ${out.corpus.series} series, ${out.corpus.samples} samples, ${out.corpus.windows} window${out.corpus.windows === 1 ? '' : 's'} (${out.corpus.labels})`,
    '',
    `${pad('detector', 22)} ${pad('source', 10)} standard  low FP  low FN   published (std / low FP / low FN)   time`,
  ];
  for (const [name, r] of Object.entries(out.detectors)) {
    lines.push(`${pad(name, 22)} ${pad('faultline', 10)} ${f(r.standard)} ${f(r.lowFP)} ${f(r.lowFN)}   ${pad('', 35)} run ${(r.runMs / 1000).toFixed(1)} s, score ${(r.scoreMs / 1000).toFixed(1)} s`);
  }
  for (const [name, r] of Object.entries(out.published)) {
    const ref = r.reference ? `${r.reference.standard.toFixed(1)} / ${r.reference.lowFP.toFixed(1)} / ${r.reference.lowFN.toFixed(1)}` : '-';
    lines.push(`${pad(name, 22)} ${pad('published', 10)} ${f(r.standard)} ${f(r.lowFP)} ${f(r.lowFN)}   ${pad(ref, 35)} score ${(r.scoreMs / 1000).toFixed(1)} s${r.thresholdsFrom === 'thresholds.json' ? ' (at thresholds.json)' : ''}`);
  }
  const fixed = Object.values(out.published).some((r) => r.thresholdsFrom === 'thresholds.json');
  lines.push(
    '',
    `NAB scores, normalised: 0 = the null detector, 100 = every window detected at its start. Thresholds optimised per profile over the corpus${fixed ? ' (published folders: at config/thresholds.json)' : ''}.`,
  );
  return lines.join('\n');
}

export const register: RegisterCommands = (program, ctx) => {
  // observe-watch.ts registers under the same parent: whichever runs first creates it
  const observe = program.commands.find((cmd) => cmd.name() === 'observe') ?? program.command('observe').description('anomaly detection and early warning over metric series');
  observe
    .command('detectors')
    .description('list the anomaly detectors (* = the default, chosen by its NAB score; docs/reference/anomaly-detection.md)')
    .action(() => {
      const c = ctx();
      const rows = DETECTORS.map((d) => ({ name: d.name, default: d === DEFAULT_DETECTOR, multivariate: d.createMultivariate ? 'native' : 'combined', description: d.description }));
      c.print(rows, () => rows.map((r) => `${r.default ? '*' : ' '} ${r.name.padEnd(18)} ${r.multivariate.padEnd(9)} ${r.description}`).join('\n'));
    });
  observe
    .command('eval')
    .description(
      "score anomaly detectors on a corpus in the Numenta Anomaly Benchmark's layout with NAB's own scoring (a port of its sweeper: threshold optimised per profile over the whole corpus, normalised between the null and the perfect detector); faultline's detectors are run, and NAB's published result folders can be scored beside them",
    )
    .requiredOption('--data <dir>', 'the corpus root: data/<group>/<series>.csv and labels/combined_windows.json (a NAB checkout; published results are read from its results/)')
    .option('--detectors <list>', "faultline detectors to run, comma-separated, or all (default: all, unless --published is given)")
    .option('--published <list>', 'result folders under <data>/results/ to score, comma-separated (e.g. numenta,windowedGaussian,knncad)')
    .option('--labels <file>', 'label file, relative to --data or absolute', DEFAULT_LABELS)
    .option('--profiles <file>', "cost matrices in NAB's profiles.json format (default: NAB's standard, reward_low_FP_rate, reward_low_FN_rate)")
    .option('--published-thresholds', "score --published folders at the thresholds of <data>/config/thresholds.json, as NAB's published table was, instead of optimising them")
    .option('--seed <n>', 'seed for detectors that draw random numbers', '1')
    .action(async (o: EvalOptions) => {
      const c = ctx();
      const seed = Number(o.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--seed: expected an integer ≥ 0, got "${o.seed}"`, { context: { attribute: 'seed' } });
      const publishedNames = list(o.published) ?? [];
      const specs = pickDetectors(list(o.detectors), publishedNames.length === 0);
      if (specs.length === 0 && publishedNames.length === 0) {
        throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'nothing to evaluate: name detectors with --detectors or result folders with --published', { context: { attribute: 'detectors' } });
      }
      const root = resolve(o.data);
      const corpus = await readNabCorpus(root, { labels: o.labels });
      const profiles: Profiles | undefined = o.profiles !== undefined ? await readProfiles(isAbsolute(o.profiles) ? o.profiles : resolve(o.profiles)) : undefined;
      const scoreOpts = profiles ? { profiles } : {};
      const out: EvalOutput = {
        corpus: {
          root,
          labels: o.labels,
          series: corpus.length,
          samples: corpus.reduce((n, s) => n + s.values.length, 0),
          windows: corpus.reduce((n, s) => n + s.windows.length, 0),
        },
        detectors: {},
        published: {},
      };
      // published results first: a bad folder name fails before detectors run for minutes
      const publishedScores = new Map<string, Map<string, number[]>>();
      for (const name of publishedNames) publishedScores.set(name, await readPublishedResults(root, name));
      const reference = publishedNames.length > 0 ? await readPublishedFinal(root) : undefined;
      for (const [name, scores] of publishedScores) {
        let thresholds: Record<ProfileName, number> | undefined;
        if (o.publishedThresholds) {
          const file = join(root, 'config', 'thresholds.json');
          thresholds = await readNabThresholds(file, name);
          if (thresholds === undefined) throw new FaultlineError('FL_ERR_NAB_RESULTS', `--published-thresholds: ${file} has no thresholds for ${name} (${PROFILE_NAMES.join(', ')})`, { context: { file, detector: name } });
        }
        const t0 = performance.now();
        const r = scoreCorpus(corpus, scores, { ...scoreOpts, ...(thresholds ? { thresholds } : {}) });
        const ref = reference?.get(name);
        out.published[name] = { ...scored(r, performance.now() - t0), thresholdsFrom: thresholds ? 'thresholds.json' : 'optimised', ...(ref ? { reference: ref } : {}) };
      }
      for (const spec of specs) {
        let lastShown = 0;
        const t0 = performance.now();
        const scores = runDetector(spec, corpus, {
          seed,
          onProgress: (done, total) => {
            const now = Date.now();
            if (now - lastShown < 500 && done < total) return;
            lastShown = now;
            c.progress(`observe eval: ${spec.name} ${done}/${total} series`);
          },
        });
        const t1 = performance.now();
        const r = scoreCorpus(corpus, scores, scoreOpts);
        out.detectors[spec.name] = { ...scored(r, performance.now() - t1), runMs: Math.round(t1 - t0) };
      }
      c.print(out, () => render(out));
    });
};
