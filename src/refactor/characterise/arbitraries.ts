/**
 * Generated inputs: each parameter shape becomes a fast-check arbitrary, and `generateInputs` samples the
 * argument lists with a seed (the same seed gives the same inputs). Numbers lean to small integers and take in
 * fast-check's edge doubles (-0, NaN, ±Infinity, the extremes); strings are short; collections have at most
 * a handful of entries. fast-check is loaded on first use.
 */
import type { Arbitrary } from 'fast-check';
import { encodeValue } from './runtime.js';
import type { ParamShape, Shape } from './shapes.js';

type FastCheck = typeof import('fast-check');

let loaded: FastCheck | undefined;

/** fast-check, loaded on first call. */
export async function fastCheck(): Promise<FastCheck> {
  loaded ??= await import('fast-check');
  return loaded;
}

/** The arbitrary of one shape. */
export function arbitraryOf(fc: FastCheck, s: Shape): Arbitrary<unknown> {
  switch (s.kind) {
    case 'number':
      return fc.oneof({ arbitrary: fc.integer({ min: -10, max: 10 }), weight: 3 }, { arbitrary: fc.integer(), weight: 1 }, { arbitrary: fc.double(), weight: 1 });
    case 'string':
      return fc.string({ maxLength: 12 });
    case 'boolean':
      return fc.boolean();
    case 'bigint':
      return fc.oneof(fc.bigInt({ min: -10n, max: 10n }), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }));
    case 'date':
      return fc.date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('2100-01-01T00:00:00.000Z'), noInvalidDate: true });
    case 'undefined':
      return fc.constant(undefined);
    case 'null':
      return fc.constant(null);
    case 'literal':
      return fc.constant(s.value);
    case 'bigint-literal':
      return fc.constant(BigInt(s.value));
    case 'union':
      return fc.oneof(...s.of.map((x) => arbitraryOf(fc, x)));
    case 'array':
      return fc.array(arbitraryOf(fc, s.of), { maxLength: 8 });
    case 'tuple':
      return fc.tuple(...s.of.map((x) => arbitraryOf(fc, x)));
    case 'object': {
      const model: Record<string, Arbitrary<unknown>> = {};
      for (const f of s.fields) model[f.name] = arbitraryOf(fc, f.shape);
      return fc.record(model, { requiredKeys: s.fields.filter((f) => !f.optional).map((f) => f.name) }) as Arbitrary<unknown>;
    }
    case 'record':
      return fc.dictionary(
        fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'),
        arbitraryOf(fc, s.of),
        { maxKeys: 5 },
      ) as Arbitrary<unknown>;
  }
}

/** The argument lists of a call: optional parameters left out some of the time (trailing ones dropped). */
export function argumentsOf(fc: FastCheck, params: readonly ParamShape[]): Arbitrary<unknown[]> {
  const parts = params.map((p) => (p.rest ? fc.array(arbitraryOf(fc, p.shape), { maxLength: 4 }) : p.optional ? fc.option(arbitraryOf(fc, p.shape), { nil: undefined, freq: 4 }) : arbitraryOf(fc, p.shape)));
  return fc.tuple(...parts).map((values) => {
    const args: unknown[] = [];
    for (const [i, p] of params.entries()) {
      const v = values[i];
      if (p.rest) args.push(...(v as unknown[]));
      else args.push(v);
    }
    // f(a) rather than f(a, undefined): a trailing left-out optional parameter is not passed
    let end = args.length;
    while (end > 0 && args[end - 1] === undefined && params[end - 1]?.optional === true && params[end - 1]?.rest === false) end--;
    return args.slice(0, end);
  });
}

/** A 31-bit seed from any text (the run id): FNV-1a. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

/**
 * `runs` argument lists for the parameters, sampled with `seed`, without repeats (a function of two booleans
 * has four distinct inputs, whatever `runs` says). Each is returned with its JSON encoding.
 */
export async function generateInputs(params: readonly ParamShape[], runs: number, seed: number): Promise<{ args: unknown[]; encoded: unknown }[]> {
  const fc = await fastCheck();
  if (params.length === 0) return [{ args: [], encoded: [] }];
  const samples = fc.sample(argumentsOf(fc, params), { numRuns: runs, seed });
  const seen = new Set<string>();
  const out: { args: unknown[]; encoded: unknown }[] = [];
  for (const args of samples) {
    const encoded = encodeValue(args);
    const key = JSON.stringify(encoded);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ args, encoded });
  }
  return out;
}
