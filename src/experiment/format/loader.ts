/**
 * Loads an experiment file (YAML or JSON) and validates it, reporting EVERY problem at once as
 * `file:line:col field: message` (FL_ERR_EXPERIMENT_INVALID, exit 2). Syntax errors are FL_ERR_EXPERIMENT_PARSE.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { FaultlineError } from '../../core/errors.js';
import { findProvider, unsupportedProviderMessage } from '../providers/index.js';
import { isNum, isObj } from '../providers/types.js';
import { toleranceProblems } from '../tolerance.js';
import { isRef, type Activity, type ActivityOrRef, type Experiment, type LoadedExperiment } from './types.js';

type Path = (string | number)[];
interface Problem {
  path: Path;
  message: string;
}
export interface LocatedProblem {
  line: number;
  col: number;
  field: string;
  message: string;
}

/** `method[2].provider.url` */
export const fieldName = (path: Path): string => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(root)';

/** 1-based position of a path of keys: the value when present, the nearest existing parent otherwise. */
function locate(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: Path): { line: number; col: number } {
  let node: unknown = doc.contents;
  let best = node as YamlNode | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      best = (pair.value as YamlNode | null) ?? (pair.key as YamlNode);
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      if (!node) break;
      best = node as YamlNode;
    } else break;
  }
  const pos = lc.linePos(best?.range?.[0] ?? 0);
  return { line: pos.line, col: pos.col };
}

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

function located(file: string, items: LocatedProblem[]): string {
  return items.map((p) => `${file}:${p.line}:${p.col} ${p.field}: ${p.message}`).join('\n  ');
}

/** Problems of one activity (or ref) at `path`; `declared` holds every named activity of the experiment. */
function activityProblems(a: unknown, path: Path, declared: Map<string, Activity>, warnings: Problem[], inHypothesis: boolean): Problem[] {
  const out: Problem[] = [];
  if (!isObj(a)) return [{ path, message: 'expected an activity ({type: action|probe, name, provider}) or {ref: name}' }];
  if (typeof a.ref === 'string' && a.type === undefined) {
    if (!declared.has(a.ref)) out.push({ path: [...path, 'ref'], message: `no activity named "${a.ref}" is declared in this experiment` });
    return out;
  }
  if (a.type !== 'action' && a.type !== 'probe') out.push({ path: [...path, 'type'], message: 'required: action or probe' });
  if (typeof a.name !== 'string' || a.name.trim() === '') out.push({ path: [...path, 'name'], message: 'required: a name for the journal (and for {ref: name})' });
  const who = typeof a.name === 'string' ? `activity "${a.name}"` : 'this activity';
  if (!isObj(a.provider)) out.push({ path: [...path, 'provider'], message: `required: ${who} needs a provider ({type: http|process|prometheus|faultline, ...})` });
  else {
    const mod = typeof a.provider.type === 'string' ? findProvider(a.provider.type) : undefined;
    if (!mod) out.push({ path: [...path, 'provider', 'type'], message: `${who}: ${unsupportedProviderMessage(a.provider.type)}` });
    else if (a.type === 'action' || a.type === 'probe') for (const p of mod.validate(a.provider as Activity['provider'], a.type)) out.push({ path: [...path, 'provider', ...p.path], message: p.message });
  }
  if (a.pauses !== undefined) {
    if (!isObj(a.pauses)) out.push({ path: [...path, 'pauses'], message: 'expected {before: seconds, after: seconds}' });
    else
      for (const k of Object.keys(a.pauses)) {
        if (k !== 'before' && k !== 'after') out.push({ path: [...path, 'pauses', k], message: 'expected before or after' });
        else if (!isNum(a.pauses[k]) || (a.pauses[k] as number) < 0) out.push({ path: [...path, 'pauses', k], message: 'expected a non-negative number of seconds' });
      }
  }
  if (a.background !== undefined && typeof a.background !== 'boolean') out.push({ path: [...path, 'background'], message: 'expected true or false' });
  if (a.controls !== undefined) warnings.push({ path: [...path, 'controls'], message: 'controls are ignored: faultline runs no control modules' });
  if (inHypothesis) {
    if (a.type !== 'probe') out.push({ path: [...path, 'type'], message: 'steady-state-hypothesis activities must be probes' });
    if (a.tolerance === undefined) out.push({ path: [...path, 'tolerance'], message: `required: ${who} is a steady-state probe; give its tolerance (e.g. 200, [0, 0.05], {type: regex, pattern: ...})` });
  }
  if (a.tolerance !== undefined) {
    for (const p of toleranceProblems(a.tolerance)) out.push({ path: [...path, 'tolerance', ...p.path], message: p.message });
    if (isObj(a.tolerance) && a.tolerance.type === 'probe' && isObj(a.tolerance.provider)) {
      const t = a.tolerance.provider.type;
      if (typeof t !== 'string' || !findProvider(t)) out.push({ path: [...path, 'tolerance', 'provider', 'type'], message: unsupportedProviderMessage(t) });
    }
  }
  return out;
}

function collectNames(list: unknown, declared: Map<string, Activity>): void {
  if (!Array.isArray(list)) return;
  for (const a of list) if (isObj(a) && typeof a.name === 'string' && (a.type === 'action' || a.type === 'probe') && !declared.has(a.name)) declared.set(a.name, a as unknown as Activity);
}

/** Every problem of a parsed experiment (paths from the root), and warnings. */
export function experimentProblems(raw: unknown): { problems: Problem[]; warnings: Problem[] } {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  if (!isObj(raw)) return { problems: [{ path: [], message: 'an experiment is a mapping with at least title and method' }], warnings };
  if (typeof raw.title !== 'string' || raw.title.trim() === '') problems.push({ path: ['title'], message: 'required: the experiment title (a string)' });
  if (raw.description !== undefined && typeof raw.description !== 'string') problems.push({ path: ['description'], message: 'expected a string' });
  if (raw.version !== undefined && typeof raw.version !== 'string' && !isNum(raw.version)) problems.push({ path: ['version'], message: 'expected a version string, e.g. "1.0.0"' });
  if (raw.tags !== undefined && (!Array.isArray(raw.tags) || raw.tags.some((t) => typeof t !== 'string'))) problems.push({ path: ['tags'], message: 'expected a list of strings' });
  if (raw.configuration !== undefined) {
    if (!isObj(raw.configuration)) problems.push({ path: ['configuration'], message: 'expected a mapping of name to value or {type: env, key, default}' });
    else
      for (const [k, v] of Object.entries(raw.configuration)) {
        if (isObj(v) && v.type === 'env' && (typeof v.key !== 'string' || v.key === '')) problems.push({ path: ['configuration', k, 'key'], message: 'required: the environment variable to read' });
      }
  }
  if (raw.secrets !== undefined) {
    if (!isObj(raw.secrets)) problems.push({ path: ['secrets'], message: 'expected a mapping of scope to {name: value or {type: env, key}}' });
    else
      for (const [scope, entries] of Object.entries(raw.secrets)) {
        if (!isObj(entries)) problems.push({ path: ['secrets', scope], message: 'expected a mapping of name to value or {type: env, key}' });
        else for (const [k, v] of Object.entries(entries)) if (isObj(v) && v.type === 'env' && typeof v.key !== 'string') problems.push({ path: ['secrets', scope, k, 'key'], message: 'required: the environment variable to read' });
      }
  }
  if (raw.controls !== undefined) warnings.push({ path: ['controls'], message: 'controls are ignored: faultline runs no control modules' });

  const ssh = raw['steady-state-hypothesis'];
  const declared = new Map<string, Activity>();
  collectNames(isObj(ssh) ? ssh.probes : undefined, declared);
  collectNames(raw.method, declared);
  collectNames(raw.rollbacks, declared);

  if (ssh !== undefined) {
    if (!isObj(ssh)) problems.push({ path: ['steady-state-hypothesis'], message: 'expected {title, probes: [...]}' });
    else {
      if (typeof ssh.title !== 'string' || ssh.title.trim() === '') problems.push({ path: ['steady-state-hypothesis', 'title'], message: 'required: the hypothesis title' });
      if (ssh.probes !== undefined && !Array.isArray(ssh.probes)) problems.push({ path: ['steady-state-hypothesis', 'probes'], message: 'expected a list of probes' });
      else for (const [i, a] of ((ssh.probes as unknown[] | undefined) ?? []).entries()) problems.push(...activityProblems(a, ['steady-state-hypothesis', 'probes', i], declared, warnings, true));
    }
  }
  if (raw.method === undefined) problems.push({ path: ['method'], message: 'required: a list of at least one activity' });
  else if (!Array.isArray(raw.method) || raw.method.length === 0) problems.push({ path: ['method'], message: 'expected a list of at least one activity' });
  else for (const [i, a] of raw.method.entries()) problems.push(...activityProblems(a, ['method', i], declared, warnings, false));
  if (raw.rollbacks !== undefined) {
    if (!Array.isArray(raw.rollbacks)) problems.push({ path: ['rollbacks'], message: 'expected a list of activities' });
    else for (const [i, a] of raw.rollbacks.entries()) problems.push(...activityProblems(a, ['rollbacks', i], declared, warnings, false));
  }
  // a revert names the inject activity whose fault it reverts
  const injectNames = new Set([...declared.values()].filter((a) => isObj(a.provider) && a.provider.type === 'faultline' && a.provider.func === 'inject').map((a) => a.name));
  for (const section of ['method', 'rollbacks'] as const) {
    const list = raw[section];
    if (!Array.isArray(list)) continue;
    for (const [i, a] of list.entries()) {
      if (!isObj(a) || !isObj(a.provider) || a.provider.type !== 'faultline' || a.provider.func !== 'revert' || !isObj(a.provider.arguments)) continue;
      const f = a.provider.arguments.fault;
      if (typeof f === 'string' && !f.includes('${') && !injectNames.has(f)) problems.push({ path: [section, i, 'provider', 'arguments', 'fault'], message: `no faultline inject activity is named "${f}"${injectNames.size > 0 ? `; inject activities: ${[...injectNames].join(', ')}` : ''}` });
    }
  }
  return { problems, warnings };
}

/** Parses and validates experiment text; `file` names it in messages. */
export function parseExperiment(text: string, file: string): LoadedExperiment {
  const lc = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    throw new FaultlineError('FL_ERR_EXPERIMENT_PARSE', `${file}: not valid YAML/JSON: ${(e as Error).message}`, { cause: e, context: { file } });
  }
  if (doc.errors.length > 0) {
    const items = doc.errors.map((e) => ({ ...lc.linePos(e.pos[0]), field: '(syntax)', message: e.message.split('\n')[0] ?? e.message }));
    throw new FaultlineError('FL_ERR_EXPERIMENT_PARSE', `${file} is not valid YAML/JSON (${plural(items.length, 'problem')}):\n  ${located(file, items)}`, { context: { file, problems: items } });
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new FaultlineError('FL_ERR_EXPERIMENT_PARSE', `${file}: ${(e as Error).message}`, { cause: e, context: { file } });
  }
  const at = (p: Problem): LocatedProblem => ({ ...locate(doc, lc, p.path), field: fieldName(p.path), message: p.message });
  const { problems, warnings } = experimentProblems(raw);
  if (problems.length > 0) {
    const items = problems.map(at).sort((a, b) => a.line - b.line || a.col - b.col);
    throw new FaultlineError('FL_ERR_EXPERIMENT_INVALID', `${file} is invalid (${plural(items.length, 'problem')}):\n  ${located(file, items)}`, { context: { file, problems: items } });
  }
  return { experiment: raw as Experiment, file, warnings: warnings.map(at).map((w) => located(file, [w])) };
}

/** Reads and validates an experiment file. */
export function loadExperiment(path: string): LoadedExperiment {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FaultlineError('FL_ERR_EXPERIMENT_NOT_FOUND', code === 'ENOENT' ? `${path}: no such experiment file` : `${path}: cannot be read (${code ?? (e as Error).message})`, { cause: e, context: { file } });
  }
  return parseExperiment(text, path);
}

/** The activity a ref names (or the activity itself). */
export function resolveActivity(a: ActivityOrRef, exp: Experiment): Activity {
  if (!isRef(a)) return a;
  const all = [...(exp['steady-state-hypothesis']?.probes ?? []), ...exp.method, ...(exp.rollbacks ?? [])];
  const found = all.find((x): x is Activity => !isRef(x) && x.name === a.ref);
  if (!found) throw new FaultlineError('FL_ERR_EXPERIMENT_INVALID', `{ref: ${a.ref}}: no activity named "${a.ref}" is declared in this experiment`);
  return found;
}
