/**
 * The agent's evidence from the processes of one test run: every process started with
 * FAULTLINE_AGENT_EVIDENCE_DIR writes <dir>/<pid>.json (its start-up faults, their hits, and the errors it
 * recorded while they were active) while it runs and at exit. Read here as plain JSON, without the agent's code.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { ErrorEvidence, EvidenceFrame, EvidenceSite } from '../../core/run.js';

export interface RunEvidence {
  /** processes that ran the agent */
  processes: number;
  /** hits of the start-up faults, summed over processes, by their index in FAULTLINE_AGENT_FAULTS */
  hits: number[];
  /** start-up faults a process refused (index → reason), e.g. a delay on a synchronous function */
  refused: Array<{ index: number; reason: string }>;
  errors: ErrorEvidence[];
}

interface FileFrame {
  fn?: string;
  file?: string;
  line?: number;
  column?: number;
  app?: boolean;
}

interface FileRecord {
  ts?: string;
  source?: string;
  class?: string;
  message?: string;
  fn?: string;
  module?: string;
  faultIds?: string[];
  frames?: FileFrame[];
}

interface EvidenceFile {
  startup?: Array<{ index: number; state: string; id?: string; reason?: string }>;
  faults?: Array<{ id: string; hits: number }>;
  errors?: FileRecord[];
}

/** Reads every <pid>.json of `dir`; unreadable or torn files are skipped. `faultCount` is the length of FAULTLINE_AGENT_FAULTS. */
export function readRunEvidence(dir: string, faultCount: number): RunEvidence {
  const ev: RunEvidence = { processes: 0, hits: new Array<number>(faultCount).fill(0), refused: [], errors: [] };
  if (!existsSync(dir)) return ev;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    let f: EvidenceFile;
    try {
      f = JSON.parse(readFileSync(join(dir, name), 'utf8')) as EvidenceFile;
    } catch {
      continue;
    }
    ev.processes++;
    const hitsById = new Map((f.faults ?? []).map((x) => [x.id, x.hits]));
    for (const s of f.startup ?? []) {
      if (s.index < 0 || s.index >= faultCount) continue;
      if (s.id !== undefined) ev.hits[s.index] = (ev.hits[s.index] ?? 0) + (hitsById.get(s.id) ?? 0);
      if (s.state === 'dropped' && s.reason && !ev.refused.some((r) => r.index === s.index && r.reason === s.reason)) ev.refused.push({ index: s.index, reason: s.reason });
    }
    for (const r of f.errors ?? []) {
      const frames: EvidenceFrame[] = (r.frames ?? [])
        .filter((x) => typeof x.file === 'string' && typeof x.line === 'number')
        .map((x) => ({ file: x.file as string, line: x.line as number, ...(x.column === undefined ? {} : { col: x.column }), ...(x.fn === undefined ? {} : { fn: x.fn }), app: x.app === true }));
      ev.errors.push({
        at: r.ts ? Date.parse(r.ts) : 0,
        message: r.message ?? '',
        frames,
        ...(r.class ? { name: r.class } : {}),
        ...(r.fn ? { fn: r.fn } : {}),
        ...(r.module ? { module: r.module } : {}),
        ...(r.source ? { source: r.source } : {}),
        ...(r.faultIds?.[0] ? { faultId: r.faultIds[0] } : {}),
      });
    }
  }
  ev.errors.sort((a, b) => a.at - b.at);
  return ev;
}

function shortPath(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * Groups errors by the first application frame (file:line, relative to `cwd`): where the failure passed
 * through the project's code. Errors without an application frame are grouped by the function they left.
 * `faultId` is the run's id of the fault that was active. Most frequent first.
 */
export function evidenceSites(errors: readonly ErrorEvidence[], faultId: string, cwd: string): EvidenceSite[] {
  const sites = new Map<string, EvidenceSite>();
  for (const e of errors) {
    // response records repeat the error that caused them
    if (e.source === 'response') continue;
    const frame = e.frames.find((f) => f.app);
    const location = frame ? `${shortPath(frame.file, cwd)}:${frame.line}` : e.module ? shortPath(e.module, cwd) : '(no application frame)';
    const fn = frame?.fn ?? e.fn;
    const key = `${location}|${fn ?? ''}`;
    const s = sites.get(key);
    if (s) s.count++;
    else sites.set(key, { location, message: e.message, count: 1, faultIds: [faultId], ...(fn ? { fn } : {}) });
  }
  return [...sites.values()].sort((a, b) => b.count - a.count || a.location.localeCompare(b.location));
}

const STACK_FRAME = /^\s*(?:at\s+)?(?:(.+?)\s+\()?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/;

/**
 * The first frame of a reported failure's stack that is the project's code: not node: internals, not
 * node_modules, not under `internalDirs` (faultline itself), and not the test file (`testFile`).
 */
export function failureSite(stack: string | undefined, cwd: string, internalDirs: readonly string[], testFile?: string): { location: string; fn?: string } | undefined {
  if (!stack) return undefined;
  for (const line of stack.split('\n')) {
    const m = STACK_FRAME.exec(line);
    if (!m) continue;
    const file = (m[2] as string).replace(/^file:\/\//, '');
    if (file.includes('/node_modules/') || internalDirs.some((d) => file.startsWith(d)) || (testFile !== undefined && file === testFile)) continue;
    return { location: `${shortPath(file, cwd)}:${m[3] as string}`, ...(m[1] ? { fn: m[1] } : {}) };
  }
  return undefined;
}
