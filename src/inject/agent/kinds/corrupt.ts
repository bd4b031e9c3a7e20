import type { Rng } from '../../../core/rng.js';
import { bad, onlyKeys, oneOf, optString } from '../params.js';
import { defineKind } from '../types.js';

export type CorruptMode = 'drop' | 'mutate';

export interface CorruptOptions {
  /** dot path of the field to corrupt in an object result (`price.amount`); default: one own field drawn at random */
  field?: string;
  /** for objects: drop the field (default) or mutate its value by the scalar rules */
  mode?: CorruptMode;
}

/**
 * The corruption rules (the original value is never modified; a changed copy is returned):
 * - string: the first half is kept (`"abcdef"` → `"abc"`); number: `-n - 1`; bigint: `-n - 1n`; boolean: negated;
 * - array, Buffer, typed array: the first half of the elements is kept;
 * - Date: an invalid date; Map / Set: one entry (drawn at random) is removed;
 * - other objects: a shallow copy with the same prototype (own enumerable fields only) in which one field
 *   (`field`, else one drawn at random) is dropped, or with mode 'mutate' has its value corrupted by these rules;
 * - null, undefined, functions, symbols, empty strings/collections: returned unchanged.
 */
export function corruptValue(value: unknown, rng: Rng, opts: CorruptOptions = {}): unknown {
  switch (typeof value) {
    case 'string':
      return value.slice(0, Math.floor(value.length / 2));
    case 'number':
      return -value - 1;
    case 'bigint':
      return -value - 1n;
    case 'boolean':
      return !value;
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return value;
  if (Array.isArray(value)) return value.slice(0, Math.floor(value.length / 2));
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const view = value as unknown as { length: number; slice(a: number, b: number): unknown };
    return view.slice(0, Math.floor(view.length / 2));
  }
  if (value instanceof Date) return new Date(Number.NaN);
  if (value instanceof Map) {
    if (value.size === 0) return value;
    const copy = new Map(value);
    copy.delete([...value.keys()][rng.int(0, value.size - 1)]);
    return copy;
  }
  if (value instanceof Set) {
    if (value.size === 0) return value;
    const copy = new Set(value);
    copy.delete([...value.values()][rng.int(0, value.size - 1)]);
    return copy;
  }
  if (value instanceof Promise) return value;
  return corruptObject(value as Record<string, unknown>, opts.field?.split('.') ?? [], rng, opts.mode ?? 'drop');
}

function corruptObject(obj: Record<string, unknown>, path: string[], rng: Rng, mode: CorruptMode): unknown {
  const keys = Object.keys(obj);
  const key = path.length > 0 ? (path[0] as string) : keys.length > 0 ? (keys[rng.int(0, keys.length - 1)] as string) : undefined;
  if (key === undefined || !Object.prototype.hasOwnProperty.call(obj, key)) return obj;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(obj) as object | null) as Record<string, unknown>, obj);
  const child = obj[key];
  if (path.length > 1) {
    if (child === null || typeof child !== 'object') return obj;
    copy[key] = corruptObject(child as Record<string, unknown>, path.slice(1), rng, mode);
  } else if (mode === 'drop') {
    delete copy[key];
  } else {
    copy[key] = corruptValue(child, rng, { mode });
  }
  return copy;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/** corrupt: the function runs, then its result (or the value its promise resolves to) is corrupted. */
export const corruptKind = defineKind<CorruptOptions>({
  name: 'corrupt',
  summary: 'run the function, then corrupt its result: drop a field, change a number, truncate a string or array',
  parse(raw) {
    onlyKeys(raw, ['field', 'mode'], 'corrupt');
    const field = optString(raw.field, 'params.field');
    if (field !== undefined && !/^[^.]+(\.[^.]+)*$/.test(field)) throw bad('params.field', `expected a dot path such as "price.amount", got ${JSON.stringify(field)}`);
    const mode = oneOf<CorruptMode>(raw.mode, 'params.mode', ['drop', 'mutate']);
    return { ...(field === undefined ? {} : { field }), ...(mode === undefined ? {} : { mode }) };
  },
  call(c) {
    const result = c.invoke();
    if (isThenable(result)) return Promise.resolve(result).then((v) => corruptValue(v, c.rng, c.params));
    return corruptValue(result, c.rng, c.params);
  },
});
