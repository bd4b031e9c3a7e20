/** Declarative toxic attributes: one validator gives every toxic the same errors, defaults and docs. */
import { FaultlineError } from '../../core/errors.js';

/** Node timers cannot wait longer than this many ms. */
export const MAX_TIMER_MS = 2_147_483_647;

export type AttributeSpec =
  | { name: string; type: 'integer'; unit: string; min: number; max: number; default: number; doc: string; omitDefault?: boolean }
  | { name: string; type: 'number'; unit: string; min: number; max: number; default: number; doc: string; omitDefault?: boolean }
  | { name: string; type: 'string'; default: string; maxLength: number; doc: string; pattern?: RegExp; patternDoc?: string }
  | { name: string; type: 'enum'; values: readonly string[]; default: string; doc: string }
  | { name: string; type: 'headers'; default: Record<string, string>; doc: string }
  | { name: string; type: 'names'; default: readonly string[]; doc: string };

function bad(toxic: string, attr: string, message: string): never {
  throw new FaultlineError('FL_ERR_TOXIC_ATTRIBUTE', `attributes.${attr}: ${message} (toxic ${toxic})`, { context: { attribute: attr, toxic } });
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function one(toxic: string, spec: AttributeSpec, v: unknown): unknown {
  switch (spec.type) {
    case 'integer':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(toxic, spec.name, `expected a number (${spec.unit}), got ${JSON.stringify(v)}`);
      if (spec.type === 'integer' && !Number.isInteger(v)) bad(toxic, spec.name, `expected a whole number of ${spec.unit}, got ${v}`);
      if (v < spec.min || v > spec.max) bad(toxic, spec.name, `must be between ${spec.min} and ${spec.max} ${spec.unit}, got ${v}`);
      return v;
    }
    case 'string': {
      if (typeof v !== 'string') bad(toxic, spec.name, `expected a string, got ${JSON.stringify(v)}`);
      if (v.length > spec.maxLength) bad(toxic, spec.name, `must be at most ${spec.maxLength} characters`);
      if (spec.pattern && !spec.pattern.test(v)) bad(toxic, spec.name, `${JSON.stringify(v)} is not ${spec.patternDoc ?? 'valid'}`);
      return v;
    }
    case 'enum': {
      if (typeof v !== 'string' || !spec.values.includes(v)) bad(toxic, spec.name, `must be one of ${spec.values.join(', ')}, got ${JSON.stringify(v)}`);
      return v;
    }
    case 'headers': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(toxic, spec.name, 'expected an object of header name → value');
      const out: Record<string, string> = {};
      for (const [k, val] of Object.entries(v)) {
        if (!TOKEN.test(k)) bad(toxic, spec.name, `${JSON.stringify(k)} is not a header name`);
        if (typeof val !== 'string' || !FIELD_VALUE.test(val)) bad(toxic, spec.name, `value of ${k} must be a string without control characters`);
        out[k] = val;
      }
      return out;
    }
    case 'names': {
      if (!Array.isArray(v)) bad(toxic, spec.name, 'expected an array of header names');
      for (const k of v) if (typeof k !== 'string' || !TOKEN.test(k)) bad(toxic, spec.name, `${JSON.stringify(k)} is not a header name`);
      return [...(v as string[])];
    }
  }
}

/**
 * Validates `input` against the specs, starting from `previous` (an update) or the defaults (a create).
 * Unknown attribute names are refused so typos do not pass silently. An attribute with `omitDefault` that was
 * never given is left out (the toxic reads its default), so Toxiproxy's JSON of that toxic (or an existing faultline
 * toxic's JSON) is unchanged.
 */
export function validateAttributes(
  toxic: string,
  specs: readonly AttributeSpec[],
  input: unknown,
  previous?: Record<string, unknown>,
  check?: (a: Record<string, unknown>) => void,
): Record<string, unknown> {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new FaultlineError('FL_ERR_TOXIC_ATTRIBUTE', `attributes: expected an object (toxic ${toxic})`, { context: { attribute: 'attributes', toxic } });
  }
  const given = input as Record<string, unknown>;
  for (const k of Object.keys(given)) {
    if (!specs.some((s) => s.name === k)) {
      const known = specs.map((s) => s.name).join(', ') || 'none';
      bad(toxic, k, `unknown attribute; ${toxic} accepts ${known}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    if (Object.hasOwn(given, spec.name)) out[spec.name] = one(toxic, spec, given[spec.name]);
    else if (previous && Object.hasOwn(previous, spec.name)) out[spec.name] = previous[spec.name];
    // a faultline extension of a Toxiproxy toxic stays out of its JSON until it is set
    else if (!('omitDefault' in spec && spec.omitDefault === true)) out[spec.name] = structuredClone(spec.default);
  }
  check?.(out);
  return out;
}

export function attributeError(toxic: string, attr: string, message: string): FaultlineError {
  return new FaultlineError('FL_ERR_TOXIC_ATTRIBUTE', `attributes.${attr}: ${message} (toxic ${toxic})`, { context: { attribute: attr, toxic } });
}

/** Shared spec builders, units in the doc. */
export const ms = (name: string, doc: string, def = 0, min = 0): AttributeSpec => ({ name, type: 'integer', unit: 'ms', min, max: MAX_TIMER_MS, default: def, doc });
export const bytes = (name: string, doc: string, def = 0, min = 0): AttributeSpec => ({ name, type: 'integer', unit: 'bytes', min, max: Number.MAX_SAFE_INTEGER, default: def, doc });
export const probability = (name: string, doc: string, def: number, omitDefault?: boolean): AttributeSpec => ({
  name,
  type: 'number',
  unit: '0..1',
  min: 0,
  max: 1,
  default: def,
  doc,
  ...(omitDefault === true ? { omitDefault } : {}),
});
