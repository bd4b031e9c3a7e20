/**
 * The result files NAB publishes per detector (results/<detector>/<group>/<detector>_<series>.csv, with an
 * anomaly_score column) and its table of normalised scores (results/final_results.json).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FaultlineError } from '../../../core/errors.js';
import { numberColumn, parseCsv } from './csv.js';
import { NAB_PROFILE_KEYS, PROFILE_NAMES, type ProfileName } from './profiles.js';

export type PublishedScores = Record<ProfileName, number>;

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

/** One result CSV's anomaly scores (and, when asked, other numeric columns such as `S(t)_standard`). */
export function parseResultCsv(text: string, file: string, columns: readonly string[] = ['anomaly_score']): Map<string, number[]> {
  const table = parseCsv(text);
  return new Map(columns.map((c) => [c, numberColumn(table, c, file, 'FL_ERR_NAB_RESULTS')]));
}

/** Anomaly scores per series name (`<group>/<series>.csv`, as in the corpus) from `root/results/<detector>/`. */
export async function readPublishedResults(root: string, detector: string): Promise<Map<string, number[]>> {
  const dir = join(root, 'results', detector);
  if (!(await isDir(dir))) {
    throw new FaultlineError('FL_ERR_NAB_RESULTS', `no result folder results/${detector}/ under ${root}`, { context: { root, detector, missing: join('results', detector) } });
  }
  const prefix = `${detector}_`;
  const files: Array<{ name: string; path: string }> = [];
  for (const group of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    for (const f of (await readdir(join(dir, group))).sort()) {
      if (f.startsWith(prefix) && f.endsWith('.csv')) files.push({ name: `${group}/${f.slice(prefix.length)}`, path: join(dir, group, f) });
    }
  }
  if (files.length === 0) {
    throw new FaultlineError('FL_ERR_NAB_RESULTS', `results/${detector}/ under ${root} holds no <group>/${prefix}<series>.csv file`, { context: { root, detector } });
  }
  const read = await Promise.all(
    files.map(async ({ name, path }) => {
      const cols = parseResultCsv(await readFile(path, 'utf8'), join('results', detector, name.replace(/[^/]*$/, (b) => prefix + b)));
      return [name, cols.get('anomaly_score') as number[]] as const;
    }),
  );
  return new Map(read);
}

/** NAB's published normalised scores per detector (results/final_results.json), or undefined without the file. */
export async function readPublishedFinal(root: string): Promise<Map<string, PublishedScores> | undefined> {
  const text = await readFile(join(root, 'results', 'final_results.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FaultlineError('FL_ERR_NAB_RESULTS', `results/final_results.json under ${root} is not valid JSON: ${(e as Error).message}`, { context: { root } });
  }
  const out = new Map<string, PublishedScores>();
  for (const [detector, byProfile] of Object.entries((json ?? {}) as Record<string, Record<string, unknown>>)) {
    const scores = {} as PublishedScores;
    let complete = true;
    for (const p of PROFILE_NAMES) {
      const v = byProfile?.[NAB_PROFILE_KEYS[p]];
      if (typeof v === 'number') scores[p] = v;
      else complete = false;
    }
    if (complete) out.set(detector, scores);
  }
  return out;
}

/**
 * One detector's thresholds from NAB's config/thresholds.json (what `run.py --score` uses when it does not
 * re-optimise), or undefined when the file or the detector is absent.
 */
export async function readNabThresholds(file: string, detector: string): Promise<Record<ProfileName, number> | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FaultlineError('FL_ERR_NAB_RESULTS', `${file} is not valid JSON: ${(e as Error).message}`, { context: { file } });
  }
  const byProfile = (json as Record<string, Record<string, { threshold?: unknown } | undefined> | undefined>)?.[detector];
  if (byProfile === undefined) return undefined;
  const out = {} as Record<ProfileName, number>;
  for (const p of PROFILE_NAMES) {
    const t = byProfile[NAB_PROFILE_KEYS[p]]?.threshold;
    if (typeof t !== 'number') return undefined;
    out[p] = t;
  }
  return out;
}
