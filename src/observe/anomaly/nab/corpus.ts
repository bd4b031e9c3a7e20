/**
 * Reads a corpus in the Numenta Anomaly Benchmark's layout: `data/<group>/<series>.csv` (timestamp,value) and
 * `labels/combined_windows.json` ({"<group>/<series>.csv": [["start", "end"], …]}). Like NAB's CorpusLabel, only
 * the series named in the label file are read, and every window edge must be a timestamp of its series.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { FaultlineError } from '../../../core/errors.js';
import type { LabelledSeries } from '../types.js';
import { numberColumn, parseCsv, parseNabTimestamp, timestampColumn } from './csv.js';

export interface ReadCorpusOptions {
  /** label file, relative to root or absolute (default labels/combined_windows.json) */
  labels?: string;
}

export const DEFAULT_LABELS = join('labels', 'combined_windows.json');

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

function corpusError(message: string, context: Record<string, unknown>): FaultlineError {
  return new FaultlineError('FL_ERR_NAB_CORPUS', message, { context });
}

/** The label file's windows, each edge parsed to epoch ms. */
export function parseWindows(text: string, file: string): Map<string, Array<[number, number]>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw corpusError(`${file} is not valid JSON: ${(e as Error).message}`, { file });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw corpusError(`${file} must be an object mapping "<group>/<series>.csv" to a list of [start, end] windows`, { file });
  }
  const out = new Map<string, Array<[number, number]>>();
  for (const [name, list] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw corpusError(`${file}: the windows of "${name}" are not a list`, { file, series: name });
    const windows: Array<[number, number]> = [];
    for (const w of list) {
      if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'string' || typeof w[1] !== 'string') {
        throw corpusError(`${file}: a window of "${name}" is not a [start, end] pair of timestamps: ${JSON.stringify(w)}`, { file, series: name });
      }
      const start = parseNabTimestamp(w[0]);
      const end = parseNabTimestamp(w[1]);
      if (Number.isNaN(start) || Number.isNaN(end)) throw corpusError(`${file}: window ${JSON.stringify(w)} of "${name}" has a timestamp that does not parse`, { file, series: name });
      if (end < start) throw corpusError(`${file}: window ${JSON.stringify(w)} of "${name}" ends before it starts`, { file, series: name });
      windows.push([start, end]);
    }
    out.set(name, windows);
  }
  return out;
}

/** One data file → its timestamps and values; windows must name timestamps the file has (exactly once, as NAB checks). */
export function parseSeries(name: string, text: string, file: string, windows: Array<[number, number]>): LabelledSeries {
  const table = parseCsv(text);
  const timestamps = timestampColumn(table, 'timestamp', file, 'FL_ERR_NAB_CORPUS');
  const values = numberColumn(table, 'value', file, 'FL_ERR_NAB_CORPUS');
  if (windows.length > 0) {
    const count = new Map<number, number>();
    for (const t of timestamps) count.set(t, (count.get(t) ?? 0) + 1);
    for (const w of windows) {
      for (const edge of w) {
        if (count.get(edge) !== 1) {
          throw corpusError(
            `${name}: the window edge ${new Date(edge).toISOString()} is ${count.has(edge) ? 'not unique' : 'not a timestamp'} in ${file}; label timestamps must match the data file's exactly`,
            { series: name, file },
          );
        }
      }
    }
  }
  return { name, timestamps, values, windows };
}

/** Reads `root/data` and the label file; the series come back sorted by name. */
export async function readNabCorpus(root: string, opts: ReadCorpusOptions = {}): Promise<LabelledSeries[]> {
  if (!(await isDir(root))) throw corpusError(`the corpus folder ${root} does not exist or is not a folder`, { root });
  const dataDir = join(root, 'data');
  if (!(await isDir(dataDir))) throw corpusError(`${root} has no data/ folder (expected data/<group>/<series>.csv)`, { root, missing: 'data/' });
  const labels = opts.labels ?? DEFAULT_LABELS;
  const labelsText = await readFile(isAbsolute(labels) ? labels : join(root, labels), 'utf8').catch(() => undefined);
  if (labelsText === undefined) throw corpusError(`${root} has no label file ${labels} (NAB's combined_windows.json)`, { root, missing: labels });
  const windows = parseWindows(labelsText, labels);
  if (windows.size === 0) throw corpusError(`the label file of ${root} names no series`, { root });
  const names = [...windows.keys()].sort();
  const series = await Promise.all(
    names.map(async (name) => {
      const file = join(dataDir, name);
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) throw corpusError(`the label file names ${name}, but ${join('data', name)} does not exist under ${root}`, { root, missing: join('data', name) });
      return parseSeries(name, text, join('data', name), windows.get(name) ?? []);
    }),
  );
  return series;
}
