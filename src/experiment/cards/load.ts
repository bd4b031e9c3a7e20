/**
 * Loading and validating failure cards. A card file is YAML (one or more documents); each document is one card
 * (a mapping with `id`), a list of cards, or `{cards: [...]}`. Every problem names file:line:col and the field.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, isMap, isSeq, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import { parseDurationMs } from '../../core/duration.js';
import { FaultlineError } from '../../core/errors.js';
import type { FaultLayer } from '../../core/fault.js';
import { CARD_CATEGORIES, CARD_STATUSES, DETECTION_SIGNALS, type CardCompanion, type CardInjection, type FailureCard } from './types.js';

/** The built-in catalogue: cards/ at the package root (next to src/ and dist/). */
export const BUILTIN_CARDS_DIR = fileURLToPath(new URL('../../../cards/', import.meta.url));

/** Fault kinds per layer, as src/inject applies them (docs/reference/toxics.md, process-faults.md, agent.md, network-faults.md). */
export const KNOWN_KINDS: Record<FaultLayer, readonly string[]> = {
  proxy: ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'noop', 'loss', 'stall', 'blackhole', 'partition', 'http_status', 'http_abort', 'http_delay', 'http_header', 'http_body'],
  process: ['kill', 'pause', 'cpu', 'memory', 'disk', 'timeskew', 'clockdrift', 'dependency', 'envdrift', 'hidebinary', 'breakmodule', 'corruptfile'],
  agent: ['throw', 'null', 'undefined', 'delay', 'block', 'corrupt', 'status', 'abort', 'leak', 'iolatency', 'profile'],
  network: ['loss', 'reset', 'bandwidth', 'delay', 'corrupt'],
  traffic: ['malformed', 'unique-keys', 'mix'],
};

export interface CardProblem {
  /** file:line:col */
  at: string;
  field: string;
  message: string;
}

export interface CardLoadResult {
  cards: FailureCard[];
  problems: CardProblem[];
  files: string[];
}

const CARD_KEYS = ['id', 'title', 'category', 'scenario', 'description', 'risk', 'status', 'approximation', 'missing', 'injection', 'detection', 'remediation', 'verification', 'rollback', 'slo'];
const INJECTION_KEYS = ['layer', 'kind', 'target', 'params', 'duration', 'ttl', 'with', 'minHold'];
const COMPANION_KEYS = ['layer', 'kind', 'target', 'params'];
const TARGET_KEYS = ['service', 'pid', 'proxy', 'route', 'module', 'fn', 'host'];
const VARIABLE = /\{([A-Za-z][\w-]*)(?::([^{}]*))?\}/g;

/** Card files (.yaml, .yml) of a folder, sorted; a file path is taken as is. */
export function cardFiles(dirOrFile: string): string[] {
  const p = resolve(dirOrFile);
  if (!existsSync(p)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `cards: "${dirOrFile}" does not exist; pass a folder of card files (.yaml)`);
  if (statSync(p).isFile()) return [p];
  return readdirSync(p)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => join(p, f));
}

/** Parses and validates card files, collecting every problem (nothing is thrown for invalid cards). */
export function readCards(files: readonly string[]): CardLoadResult {
  const out: CardLoadResult = { cards: [], problems: [], files: [...files] };
  const seen = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const lc = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false });
    const shown = relative(process.cwd(), file) || file;
    const at = (offset: number | undefined): string => {
      const { line, col } = lc.linePos(offset ?? 0);
      return `${shown}:${line}:${col}`;
    };
    const docList = Array.isArray(docs) ? docs : [docs];
    for (const doc of docList as Document.Parsed[]) {
      if (doc.errors.length > 0) {
        for (const e of doc.errors) out.problems.push({ at: at(e.pos[0]), field: '(yaml)', message: e.message.split('\n')[0] as string });
        continue;
      }
      const root = doc.contents;
      if (root === null) continue;
      let items: YamlNode[];
      let base: (string | number)[];
      if (isSeq(root)) {
        items = root.items as YamlNode[];
        base = [];
      } else if (isMap(root) && root.has('cards')) {
        const list = root.get('cards', true);
        if (!isSeq(list)) {
          out.problems.push({ at: at((list as YamlNode | undefined)?.range?.[0] ?? root.range?.[0]), field: 'cards', message: 'must be a list of cards' });
          continue;
        }
        items = list.items as YamlNode[];
        base = ['cards'];
      } else {
        items = [root as YamlNode];
        base = [];
      }
      items.forEach((node, i) => {
        const prefix = isSeq(root) || base.length > 0 ? `${base.length ? 'cards' : ''}[${i}]` : '';
        const card = validateCard(node, { at, prefix, problems: out.problems });
        if (!card) return;
        const prev = seen.get(card.id);
        if (prev) {
          out.problems.push({ at: card.source, field: 'id', message: `duplicate card id "${card.id}" (first defined at ${prev})` });
          return;
        }
        seen.set(card.id, card.source);
        out.cards.push(card);
      });
    }
  }
  return out;
}

interface Ctx {
  at: (offset: number | undefined) => string;
  prefix: string;
  problems: CardProblem[];
}

function validateCard(node: YamlNode, ctx: Ctx): FailureCard | undefined {
  const before = ctx.problems.length;
  const name = (field: string): string => (ctx.prefix ? `${ctx.prefix}.${field}` : field);
  if (!isMap(node)) {
    ctx.problems.push({ at: ctx.at(node.range?.[0]), field: ctx.prefix || '(card)', message: 'a card must be a mapping with id, title, category, …' });
    return undefined;
  }
  const cardAt = ctx.at(node.range?.[0]);
  /** position of the value at `path` (or of the deepest node that exists on the way) */
  const pos = (path: (string | number)[]): string => {
    let cur: unknown = node;
    let best = node.range?.[0];
    for (const key of path) {
      if (!isMap(cur) && !isSeq(cur)) break;
      const next = (cur as { get(k: unknown, keep: true): unknown }).get(key, true) as YamlNode | undefined;
      if (next === undefined || next === null) break;
      best = (next as YamlNode).range?.[0] ?? best;
      cur = next;
    }
    return ctx.at(best);
  };
  const problem = (path: (string | number)[], message: string): void => {
    ctx.problems.push({ at: pos(path), field: name(path.map((p) => String(p)).join('.')), message });
  };
  const raw = node.toJSON() as Record<string, unknown>;

  for (const k of Object.keys(raw)) if (!CARD_KEYS.includes(k)) problem([k], `unknown field; expected one of ${CARD_KEYS.join(', ')}`);

  const str = (key: string, required = true): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) {
      if (required) problem([key], 'is required');
      return undefined;
    }
    if (typeof v !== 'string' || v.trim() === '') {
      problem([key], 'must be a non-empty string');
      return undefined;
    }
    return v;
  };
  const strList = (key: string): string[] => {
    const v = raw[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      problem([key], 'must be a list of strings');
      return [];
    }
    return v as string[];
  };
  const duration = (path: (string | number)[], v: unknown, fallback?: number): number | undefined => {
    if (v === undefined) {
      if (fallback === undefined) problem(path, 'is required (a duration such as 5s or 500ms)');
      return fallback;
    }
    try {
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error('not a duration');
      return parseDurationMs(v, path.join('.'));
    } catch {
      problem(path, `"${String(v)}" is not a duration; use e.g. 500ms, 5s, 2m`);
      return undefined;
    }
  };

  const id = str('id');
  if (id !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(id)) problem(['id'], 'must be kebab-case (a-z, 0-9, -)');
  const title = str('title');
  const category = str('category');
  if (category !== undefined && !(CARD_CATEGORIES as readonly string[]).includes(category)) problem(['category'], `must be one of ${CARD_CATEGORIES.join(', ')}`);
  const scenario = str('scenario');
  if (scenario !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(scenario)) problem(['scenario'], 'must be a kebab-case scenario id (e.g. network-latency)');
  const description = str('description', false) ?? '';
  const risk = raw.risk;
  if (typeof risk !== 'number' || !Number.isFinite(risk) || risk <= 0) problem(['risk'], 'must be a number > 0 (e.g. 0.5 … 3.0)');
  const status = str('status');
  if (status !== undefined && !(CARD_STATUSES as readonly string[]).includes(status)) problem(['status'], `must be one of ${CARD_STATUSES.join(', ')}`);
  const approximation = str('approximation', status === 'partial');
  const missing = str('missing', status === 'needs-mechanism');

  // injection
  let injection: CardInjection | undefined;
  const inj = raw.injection;
  if (inj === undefined) {
    if (status !== 'needs-mechanism') problem(['injection'], 'is required unless status is needs-mechanism');
  } else if (typeof inj !== 'object' || inj === null || Array.isArray(inj)) {
    problem(['injection'], 'must be a mapping with layer, kind, target, params, duration, ttl');
  } else {
    const i = inj as Record<string, unknown>;
    for (const k of Object.keys(i)) if (!INJECTION_KEYS.includes(k)) problem(['injection', k], `unknown field; expected one of ${INJECTION_KEYS.join(', ')}`);
    const fault = (at: string[], f: Record<string, unknown>): CardCompanion | undefined => {
      let ok = true;
      const bad = (path: string[], message: string): void => {
        ok = false;
        problem(path, message);
      };
      const layer = f.layer as FaultLayer;
      const layers = Object.keys(KNOWN_KINDS);
      if (!layers.includes(String(layer))) bad([...at, 'layer'], `must be one of ${layers.join(', ')}`);
      else if (typeof f.kind !== 'string' || !KNOWN_KINDS[layer].includes(f.kind)) bad([...at, 'kind'], `must be a ${layer} fault: ${KNOWN_KINDS[layer].join(', ')}`);
      const target = f.target ?? {};
      if (typeof target !== 'object' || target === null || Array.isArray(target)) bad([...at, 'target'], 'must be a mapping (service, pid, proxy, route, module, fn, host)');
      else
        for (const [k, v] of Object.entries(target)) {
          if (!TARGET_KEYS.includes(k)) bad([...at, 'target', k], `unknown target field; expected one of ${TARGET_KEYS.join(', ')}`);
          else if (typeof v !== 'string' && typeof v !== 'number') bad([...at, 'target', k], 'must be a string or a number');
        }
      const params = f.params ?? {};
      if (typeof params !== 'object' || params === null || Array.isArray(params)) bad([...at, 'params'], 'must be a mapping of fault parameters');
      return ok ? { layer, kind: f.kind as string, target: target as Record<string, string | number>, params: params as Record<string, unknown> } : undefined;
    };
    const main = fault(['injection'], i);
    const companions: CardCompanion[] = [];
    let companionsOk = true;
    if (i.with !== undefined) {
      if (!Array.isArray(i.with) || i.with.length === 0) {
        companionsOk = false;
        problem(['injection', 'with'], 'must be a non-empty list of faults ({layer, kind, target, params}) that run alongside the main one');
      } else
        i.with.forEach((w: unknown, n: number) => {
          if (typeof w !== 'object' || w === null || Array.isArray(w)) {
            companionsOk = false;
            return problem(['injection', 'with', String(n)], 'must be a mapping with layer, kind, target, params');
          }
          for (const k of Object.keys(w)) if (!COMPANION_KEYS.includes(k)) problem(['injection', 'with', String(n), k], `unknown field; expected one of ${COMPANION_KEYS.join(', ')} (a companion fault takes the main injection's duration and ttl)`);
          const c = fault(['injection', 'with', String(n)], w as Record<string, unknown>);
          if (c) companions.push(c);
          else companionsOk = false;
        });
    }
    const durationMs = duration(['injection', 'duration'], i.duration, 10_000);
    const ttlMs = duration(['injection', 'ttl'], i.ttl, durationMs !== undefined ? durationMs + 30_000 : undefined);
    if (durationMs !== undefined && ttlMs !== undefined && ttlMs < durationMs) problem(['injection', 'ttl'], `must be at least injection.duration (${durationMs} ms): the TTL is the safety net behind the run's own revert`);
    if (durationMs !== undefined && durationMs <= 0) problem(['injection', 'duration'], 'must be > 0');
    const minHoldMs = i.minHold === undefined ? undefined : duration(['injection', 'minHold'], i.minHold);
    if (minHoldMs !== undefined && durationMs !== undefined && minHoldMs > durationMs) problem(['injection', 'minHold'], `must be at most injection.duration (${durationMs} ms)`);
    if (main && companionsOk && durationMs !== undefined && ttlMs !== undefined) {
      injection = { ...main, durationMs, ttlMs, ...(companions.length > 0 ? { with: companions } : {}), ...(minHoldMs !== undefined ? { minHoldMs } : {}) };
    }
  }

  // detection
  const det = raw.detection;
  let detection: FailureCard['detection'] | undefined;
  if (typeof det !== 'object' || det === null || Array.isArray(det)) problem(['detection'], 'is required: {signal, above|below, within}');
  else {
    const d = det as Record<string, unknown>;
    for (const k of Object.keys(d)) if (!['signal', 'above', 'below', 'within'].includes(k)) problem(['detection', k], 'unknown field; expected signal, above, below, within');
    const signal = d.signal;
    if (!(DETECTION_SIGNALS as readonly unknown[]).includes(signal)) problem(['detection', 'signal'], `must be one of ${DETECTION_SIGNALS.join(', ')}`);
    const hasAbove = d.above !== undefined;
    const hasBelow = d.below !== undefined;
    if (signal === 'health') {
      if (hasAbove || hasBelow) problem(['detection', hasAbove ? 'above' : 'below'], 'the health signal takes no threshold (detected when the health check fails)');
    } else if (hasAbove === hasBelow) problem(['detection'], 'give exactly one of above or below');
    for (const k of ['above', 'below'] as const) if (d[k] !== undefined && (typeof d[k] !== 'number' || !Number.isFinite(d[k]))) problem(['detection', k], 'must be a number');
    const withinMs = duration(['detection', 'within'], d.within);
    if (withinMs !== undefined && (DETECTION_SIGNALS as readonly unknown[]).includes(signal)) {
      detection = { signal: signal as FailureCard['detection']['signal'], withinMs, ...(hasAbove ? { above: d.above as number } : {}), ...(hasBelow ? { below: d.below as number } : {}) };
    }
  }

  // remediation
  let remediation: FailureCard['remediation'] | undefined;
  const rem = raw.remediation;
  if (typeof rem === 'string' && rem.trim()) remediation = { text: rem };
  else if (typeof rem === 'object' && rem !== null && !Array.isArray(rem) && typeof (rem as { text?: unknown }).text === 'string') {
    const r = rem as { text: string; playbook?: unknown };
    for (const k of Object.keys(r)) if (k !== 'text' && k !== 'playbook') problem(['remediation', k], 'unknown field; expected text, playbook');
    if (r.playbook !== undefined && typeof r.playbook !== 'string') problem(['remediation', 'playbook'], 'must be a playbook id (string)');
    remediation = { text: r.text, ...(typeof r.playbook === 'string' ? { playbook: r.playbook } : {}) };
  } else problem(['remediation'], 'is required: a text, or {text, playbook}');

  const verification = strList('verification');
  if (raw.verification === undefined) problem(['verification'], 'is required: a list of steps');
  const rollback = strList('rollback');
  if (raw.rollback === undefined) problem(['rollback'], 'is required: a list of rollback criteria');

  // slo
  let slo: FailureCard['slo'] | undefined;
  const s = raw.slo;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) problem(['slo'], 'is required: {detectMs, recoverMs} (durations)');
  else {
    const so = s as Record<string, unknown>;
    for (const k of Object.keys(so)) if (k !== 'detectMs' && k !== 'recoverMs') problem(['slo', k], 'unknown field; expected detectMs, recoverMs');
    const detectMs = duration(['slo', 'detectMs'], so.detectMs);
    const recoverMs = duration(['slo', 'recoverMs'], so.recoverMs);
    if (detectMs !== undefined && recoverMs !== undefined) slo = { detectMs, recoverMs };
  }

  if (ctx.problems.length > before) return undefined;
  return {
    id: id as string,
    title: title as string,
    category: category as FailureCard['category'],
    scenario: scenario as string,
    description,
    risk: risk as number,
    status: status as FailureCard['status'],
    ...(approximation !== undefined ? { approximation } : {}),
    ...(missing !== undefined ? { missing } : {}),
    ...(injection ? { injection } : {}),
    detection: detection as FailureCard['detection'],
    remediation: remediation as FailureCard['remediation'],
    verification,
    rollback,
    slo: slo as FailureCard['slo'],
    source: cardAt,
  };
}

function* stringsIn(v: unknown, path: string[] = []): Generator<[string[], string]> {
  if (typeof v === 'string') yield [path, v];
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* stringsIn(v[i], [...path, String(i)]);
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) yield* stringsIn(x, [...path, k]);
}

/** Variable names a card's injection uses, with their defaults (undefined when none). */
export function cardVariables(card: FailureCard): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  if (!card.injection) return out;
  for (const [, s] of stringsIn({ target: card.injection.target, params: card.injection.params, with: card.injection.with ?? [] })) {
    for (const m of s.matchAll(VARIABLE)) if (!out.has(m[1] as string) || out.get(m[1] as string) === undefined) out.set(m[1] as string, m[2]);
  }
  return out;
}

/**
 * The catalogue: the built-in cards (unless `builtin: false`) and the cards of each folder or file in `dirs`.
 * Throws FL_ERR_CARD_INVALID listing every problem (file:line:col field: message).
 */
export function loadCatalogue(dirs: readonly string[] = [], o: { builtin?: boolean } = {}): FailureCard[] {
  const files = [...(o.builtin === false ? [] : cardFiles(BUILTIN_CARDS_DIR)), ...dirs.flatMap((d) => cardFiles(d))];
  const r = readCards(files);
  if (r.problems.length > 0) {
    throw new FaultlineError('FL_ERR_CARD_INVALID', `invalid failure cards:\n${formatProblems(r.problems)}`, { context: { problems: r.problems } });
  }
  return r.cards;
}

export function formatProblems(problems: readonly CardProblem[]): string {
  return problems.map((p) => `  ${p.at} ${p.field}: ${p.message}`).join('\n');
}

export function findCard(cards: readonly FailureCard[], id: string): FailureCard | undefined {
  return cards.find((c) => c.id === id);
}

export function findCardOrThrow(cards: readonly FailureCard[], id: string): FailureCard {
  const c = findCard(cards, id);
  if (!c) throw new FaultlineError('FL_ERR_CARD_NOT_FOUND', `no failure card "${id}"; list them with \`faultline cards\` (${cards.length} loaded)`);
  return c;
}
