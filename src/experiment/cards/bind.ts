/** Binding a card's variables ({service}, {proxy}, {fn}, {route}, {name:default}) to make a FaultRequest. */
import { FaultlineError } from '../../core/errors.js';
import type { FaultRequest, FaultTarget } from '../../core/fault.js';
import { cardVariables } from './load.js';
import type { CardCompanion, FailureCard } from './types.js';

export type Bindings = Record<string, string>;

const VARIABLE = /\{([A-Za-z][\w-]*)(?::([^{}]*))?\}/g;

/** Variables of the card that have neither a binding nor a default. */
export function missingBindings(card: FailureCard, bindings: Bindings): string[] {
  return [...cardVariables(card)].filter(([name, def]) => bindings[name] === undefined && def === undefined).map(([name]) => name);
}

function substitute(s: string, b: Bindings): string {
  return s.replace(VARIABLE, (_m, name: string, def: string | undefined) => b[name] ?? (def as string));
}

function substituteDeep(v: unknown, b: Bindings): unknown {
  if (typeof v === 'string') {
    // a value that is exactly one variable bound to a number-like string stays a number (e.g. latency: "{ms:300}")
    const whole = /^\{([A-Za-z][\w-]*)(?::([^{}]*))?\}$/.exec(v);
    const out = substitute(v, b);
    return whole && /^-?\d+(\.\d+)?$/.test(out) ? Number(out) : out;
  }
  if (Array.isArray(v)) return v.map((x) => substituteDeep(x, b));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteDeep(x, b)]));
  return v;
}

/**
 * The FaultRequest of a card with its variables bound. Throws FL_ERR_CARD_NOT_RUNNABLE for needs-mechanism
 * cards and FL_ERR_CARD_BINDING naming every missing variable.
 */
export function bindCard(card: FailureCard, bindings: Bindings, actor = 'chaos'): FaultRequest {
  if (card.status === 'needs-mechanism' || !card.injection) {
    throw new FaultlineError('FL_ERR_CARD_NOT_RUNNABLE', `card "${card.id}" cannot run: ${card.missing ?? 'it has no injection'}`, { context: { card: card.id } });
  }
  const missing = missingBindings(card, bindings);
  if (missing.length > 0) {
    throw new FaultlineError('FL_ERR_CARD_BINDING', `card "${card.id}" needs ${missing.map((m) => `{${m}}`).join(', ')}: pass ${missing.map((m) => `--bind ${m}=VALUE`).join(' ')} (or cards.bind in faultline.yaml)`, {
      context: { card: card.id, missing },
    });
  }
  return bound(card.injection, bindings, card.injection.ttlMs, `${actor}:${card.id}`);
}

/** One fault template of a card (its injection, or a companion) with the variables bound. */
function bound(t: CardCompanion, bindings: Bindings, ttlMs: number, actor: string): FaultRequest {
  const target = substituteDeep(t.target, bindings) as Record<string, string | number>;
  if (target.pid !== undefined) target.pid = Number(target.pid);
  return { kind: t.kind, layer: t.layer, target: target as FaultTarget, params: substituteDeep(t.params, bindings) as Record<string, unknown>, ttlMs, actor };
}

/**
 * The companion faults of a card (`injection.with`) with its variables bound: each one runs alongside the main
 * fault, so it takes the main injection's TTL. Call after bindCard (which checks the bindings of all of them).
 */
export function bindCompanions(card: FailureCard, bindings: Bindings, actor = 'chaos'): FaultRequest[] {
  return (card.injection?.with ?? []).map((c) => bound(c, bindings, card.injection?.ttlMs ?? 0, `${actor}:${card.id}`));
}
