import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultlineError, isFaultlineError } from '../../../src/core/errors.js';
import { CRITICALITIES, type ModuleData, type PromotionRequest } from '../../../src/core/promote.js';
import { editDistance, parseModuleData, parsePromotionRequest, parseReleaseQuery, suggest } from '../../../src/server/validate.js';

/** Runs fn and returns the FaultlineError it throws (fails the test when it returns or throws something else). */
function problem(fn: () => unknown): FaultlineError {
  try {
    fn();
  } catch (e) {
    if (isFaultlineError(e)) return e;
    throw e;
  }
  throw new Error('expected a FaultlineError, got a result');
}

const full: ModuleData = {
  name: 'api',
  version: '2.1.0',
  path: 'packages/api',
  dependencies: ['db', 'auth'],
  dependents: ['web'],
  totalModules: 4,
  criticality: 'high',
  failureProbabilities: [0.1, 0.02, 0.3],
  failureProbability: 0.2,
  routes: 12,
  trafficShare: 0.6,
  loadRps: 35.5,
  history: { promotions: 5, rollbacks: 1 },
};

const with_ = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...full, ...patch });
const without = (key: keyof ModuleData): Record<string, unknown> => {
  const o: Record<string, unknown> = { ...full };
  delete o[key];
  return o;
};

describe('parseModuleData', () => {
  it('accepts a full ModuleData and returns an equal copy', () => {
    const m = parseModuleData(structuredClone(full));
    expect(m).toEqual(full);
    expect(parseModuleData({ name: 'x' })).toEqual({ name: 'x' });
    expect(parseModuleData({ name: 'root', path: '' })).toEqual({ name: 'root', path: '' });
  });

  // [body, field (with the default prefix "module"), what the message says]
  const cases: Array<[Record<string, unknown> | unknown, string, RegExp]> = [
    [without('name'), 'module.name', /missing required field/],
    [with_({ name: 3 }), 'module.name', /must be a string, got 3/],
    [with_({ name: '  ' }), 'module.name', /must not be empty/],
    [with_({ version: 2 }), 'module.version', /must be a string, got 2/],
    [with_({ path: 'packages\\api' }), 'module.path', /forward slashes/],
    [with_({ path: '/abs' }), 'module.path', /relative to the repository root/],
    [with_({ path: 'packages/api/' }), 'module.path', /must not end with a slash/],
    [with_({ dependencies: 'db' }), 'module.dependencies', /must be an array, got "db"/],
    [with_({ dependencies: ['db', 7] }), 'module.dependencies[1]', /must be a string, got 7/],
    [with_({ dependents: ['web', ''] }), 'module.dependents[1]', /must not be empty/],
    [with_({ dependents: ['web', 'cli', 'web'] }), 'module.dependents[2]', /duplicate of module\.dependents\[0\]/],
    [with_({ dependents: ['a', 'b', 'c', 'd'] }), 'module.dependents', /has 4 modules, more than the other 3 of totalModules 4/],
    [with_({ totalModules: 0 }), 'module.totalModules', /integer ≥ 1, got 0/],
    [with_({ totalModules: 2.5 }), 'module.totalModules', /integer ≥ 1, got 2\.5/],
    [with_({ criticality: 'severe' }), 'module.criticality', /must be one of critical, high, medium, low, negligible, got "severe"/],
    [with_({ criticality: 'Critical' }), 'module.criticality', /did you mean critical\?/],
    [with_({ failureProbabilities: [0.1, 0.2, 1.5] }), 'module.failureProbabilities[2]', /probability in \[0, 1\], got 1\.5/],
    [with_({ failureProbabilities: [0.1, '0.2'] }), 'module.failureProbabilities[1]', /probability in \[0, 1\], got "0\.2"/],
    [with_({ failureProbabilities: { 0: 0.1 } }), 'module.failureProbabilities', /must be an array, got an object/],
    [with_({ failureProbability: -0.1 }), 'module.failureProbability', /probability in \[0, 1\], got -0\.1/],
    [with_({ failureProbability: Number.NaN }), 'module.failureProbability', /probability in \[0, 1\], got NaN/],
    [with_({ routes: -1 }), 'module.routes', /non-negative integer, got -1/],
    [with_({ routes: 1.5 }), 'module.routes', /non-negative integer, got 1\.5/],
    [with_({ trafficShare: 1.01 }), 'module.trafficShare', /share in \[0, 1\], got 1\.01/],
    [with_({ loadRps: -3 }), 'module.loadRps', /≥ 0, got -3/],
    [with_({ loadRps: Number.POSITIVE_INFINITY }), 'module.loadRps', /finite number, got Infinity/],
    [with_({ history: [] }), 'module.history', /must be a JSON object \(history\), got an array/],
    [with_({ history: { promotions: 2 } }), 'module.history.rollbacks', /missing required field/],
    [with_({ history: { promotions: -1, rollbacks: 0 } }), 'module.history.promotions', /non-negative integer, got -1/],
    [with_({ history: { promotions: 1, rollbacks: 0, rolbacks: 1 } }), 'module.history.rolbacks', /unknown field; did you mean rollbacks\?/],
    [with_({ critcality: 'high' }), 'module.critcality', /^module\.critcality: unknown field; did you mean criticality\?$/],
    [with_({ FailureProbability: 0.1 }), 'module.FailureProbability', /did you mean failureProbability\?/],
    [with_({ owner: 'team-a' }), 'module.owner', /unknown field; ModuleData has name, version, path/],
    [null, 'module', /must be a JSON object \(ModuleData\), got null/],
    [['api'], 'module', /got an array/],
    [with_({ version: null }), 'module.version', /must be a string, got null/],
  ];

  it.each(cases.map(([body, field, re], i) => ({ i, body, field, re })))('case $i: $field', ({ body, field, re }) => {
    const e = problem(() => parseModuleData(body));
    expect(e.code).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(e.context.field).toBe(field);
    expect(e.message.startsWith(`${field}: `)).toBe(true);
    expect(e.message).toMatch(re);
  });

  it('uses no prefix when the ModuleData is the whole body (at = "")', () => {
    const e = problem(() => parseModuleData(with_({ failureProbabilities: [0, 0.5, 2] }), ''));
    expect(e.message).toBe('failureProbabilities[2]: must be a probability in [0, 1], got 2');
    expect(e.context.field).toBe('failureProbabilities[2]');
    expect(problem(() => parseModuleData('x', '')).message).toBe('body: must be a JSON object (ModuleData), got "x"');
    expect(problem(() => parseModuleData({ nme: 'x' }, '')).message).toBe('nme: unknown field; did you mean name?');
  });

  it('reports the first problem: unknown fields before bad values', () => {
    const e = problem(() => parseModuleData({ name: 1, zzz: 1 }));
    expect(e.context.field).toBe('module.zzz');
  });

  it('a JSON "__proto__" key is an unknown field, not a prototype', () => {
    const e = problem(() => parseModuleData(JSON.parse('{"name":"x","__proto__":{"routes":5}}')));
    expect(e.context.field).toBe('module.__proto__');
  });
});

describe('parsePromotionRequest', () => {
  const req: PromotionRequest = {
    module: { name: 'api', criticality: 'critical', failureProbability: 0.3 },
    coverage: 82.5,
    fis: 0.3,
    baseCoverageThreshold: 75,
    extras: { mutationScore: 61, dependencyHealth: { critical: 0, high: 1, moderate: 2, low: 0, info: 0, total: 3 } },
  };
  it('accepts a full request and a minimal one', () => {
    expect(parsePromotionRequest(structuredClone(req))).toEqual(req);
    expect(parsePromotionRequest({ module: { name: 'a' }, coverage: 0 })).toEqual({ module: { name: 'a' }, coverage: 0 });
  });

  const cases: Array<[unknown, string, RegExp]> = [
    [{ coverage: 80 }, 'module', /missing required field/],
    [{ module: { name: 'a' } }, 'coverage', /missing required field/],
    [{ module: { name: 'a' }, coverage: 101 }, 'coverage', /percentage in \[0, 100\], got 101/],
    [{ module: { name: 'a' }, coverage: '80' }, 'coverage', /percentage in \[0, 100\], got "80"/],
    [{ module: { name: 'a' }, coverage: 80, fis: 1.2 }, 'fis', /score in \[0, 1\], got 1\.2/],
    [{ module: { name: 'a' }, coverage: 80, baseCoverageThreshold: -5 }, 'baseCoverageThreshold', /percentage in \[0, 100\], got -5/],
    [{ module: { name: 'a' }, covrage: 80 }, 'covrage', /^covrage: unknown field; did you mean coverage\?$/],
    [{ module: { name: 'a' }, coverage: 80, basecoveragethreshold: 70 }, 'basecoveragethreshold', /did you mean baseCoverageThreshold\?/],
    [{ module: { name: 'a', failureProbabilities: [0.1, 0.2, -1] }, coverage: 80 }, 'module.failureProbabilities[2]', /got -1/],
    [{ module: { name: 'a', critcality: 'high' }, coverage: 80 }, 'module.critcality', /did you mean criticality\?/],
    [{ module: 'a', coverage: 80 }, 'module', /must be a JSON object \(ModuleData\), got "a"/],
    [{ module: { name: 'a' }, coverage: 80, extras: { mutationScore: 120 } }, 'extras.mutationScore', /percentage in \[0, 100\], got 120/],
    [{ module: { name: 'a' }, coverage: 80, extras: { mutation: 1 } }, 'extras.mutation', /did you mean mutationScore\?/],
    [{ module: { name: 'a' }, coverage: 80, extras: { dependencyHealth: { critical: 0, high: 0, moderate: 0, low: 0, info: 0 } } }, 'extras.dependencyHealth.total', /missing required field/],
    [{ module: { name: 'a' }, coverage: 80, extras: { dependencyHealth: { critical: 0.5, high: 0, moderate: 0, low: 0, info: 0, total: 0 } } }, 'extras.dependencyHealth.critical', /non-negative integer, got 0\.5/],
    [[1, 2], 'body', /must be a JSON object \(PromotionRequest\), got an array/],
  ];

  it.each(cases.map(([body, field, re], i) => ({ i, body, field, re })))('case $i: $field', ({ body, field, re }) => {
    const e = problem(() => parsePromotionRequest(body));
    expect(e.code).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(e.context.field).toBe(field);
    expect(e.message.startsWith(`${field}: `)).toBe(true);
    expect(e.message).toMatch(re);
  });
});

describe('parseReleaseQuery', () => {
  const q = (s: string) => parseReleaseQuery(new URLSearchParams(s));
  it('parses module, status and limit', () => {
    expect(q('')).toEqual({});
    expect(q('module=api&status=rolled-back&limit=5')).toEqual({ module: 'api', status: 'rolled-back', limit: 5 });
  });
  it.each([
    ['status=gone', 'status', /^query parameter status: must be one of promoted, stable, rolled-back, rejected, got "gone"$/],
    ['status=rolledback', 'status', /did you mean rolled-back\?/],
    ['limit=0', 'limit', /positive integer, got "0"/],
    ['limit=-2', 'limit', /positive integer, got "-2"/],
    ['limit=2.5', 'limit', /positive integer/],
    ['limit=ten', 'limit', /positive integer/],
    ['limit=99999999999999999999', 'limit', /positive integer/],
    ['module=', 'module', /must not be empty/],
    ['module=a&module=b', 'module', /given more than once/],
    ['modul=api', 'modul', /unknown; did you mean module\?/],
    ['sort=at', 'sort', /unknown; this route takes module, status, limit/],
  ])('%s → 400 naming %s', (query, field, re) => {
    const e = problem(() => q(query));
    expect(e.code).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(e.context.field).toBe(field);
    expect(e.message).toMatch(re);
  });
});

describe('suggest', () => {
  it('finds near misses, ignores case, and stays quiet for unrelated words', () => {
    expect(editDistance('critcality', 'criticality')).toBe(1);
    expect(editDistance('rotues', 'routes')).toBe(1); // a transposition is one edit
    expect(editDistance('', 'abc')).toBe(3);
    expect(suggest('critcality', ['name', 'criticality'])).toBe('criticality');
    expect(suggest('LOADRPS', ['loadRps', 'routes'])).toBe('loadRps');
    expect(suggest('owner', ['name', 'version', 'path'])).toBeUndefined();
    expect(suggest('x', ['fis'])).toBeUndefined();
    expect(suggest('x', [])).toBeUndefined();
    expect(suggest('mutation', ['mutationScore', 'dependencyHealth'])).toBe('mutationScore');
    expect(suggest('mut', ['mutationScore'])).toBeUndefined();
  });
});

// property-based: any valid ModuleData round-trips; junk never throws anything but FL_ERR_INVALID_ARGUMENT
const name = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '');
const prob = fc.double({ min: 0, max: 1, noNaN: true });
const countArb = fc.nat({ max: 10_000 });
const moduleArb: fc.Arbitrary<ModuleData> = fc
  .record(
    {
      name,
      version: name,
      path: fc.array(fc.stringMatching(/^[a-z0-9._-]{1,8}$/), { maxLength: 3 }).map((xs) => xs.join('/')),
      dependencies: fc.array(name, { maxLength: 5 }),
      dependents: fc.uniqueArray(name, { maxLength: 5 }),
      totalModules: fc.integer({ min: 1, max: 500 }),
      criticality: fc.constantFrom(...CRITICALITIES),
      failureProbabilities: fc.array(prob, { maxLength: 8 }),
      failureProbability: prob,
      routes: countArb,
      trafficShare: prob,
      loadRps: fc.double({ min: 0, max: 1e6, noNaN: true }),
      history: fc.record({ promotions: countArb, rollbacks: countArb }),
    },
    { requiredKeys: ['name'] },
  )
  .map((m) => (m.dependents !== undefined && m.totalModules !== undefined && m.totalModules <= m.dependents.length ? { ...m, totalModules: m.dependents.length + 1 } : m));

function onlyInvalidArgument(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(isFaultlineError(e, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    const field = (e as FaultlineError).context.field;
    expect(typeof field).toBe('string');
    expect((e as Error).message.replace(/^query parameter /, '').startsWith(`${field as string}: `)).toBe(true);
  }
}

describe('properties (fast-check, time-boxed)', () => {
  it('any valid ModuleData round-trips through JSON and parseModuleData', () => {
    fc.assert(
      fc.property(moduleArb, (m) => {
        const wire = JSON.parse(JSON.stringify(m)) as unknown;
        expect(parseModuleData(wire)).toEqual(wire);
        expect(parseModuleData(wire, '')).toEqual(wire);
        expect(parsePromotionRequest({ module: wire, coverage: 50 })).toEqual({ module: wire, coverage: 50 });
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 8000 },
    );
  });

  it('random junk and mutated modules throw only FL_ERR_INVALID_ARGUMENT naming a field', () => {
    const mutated = fc.tuple(moduleArb, fc.string({ maxLength: 20 }), fc.anything()).map(([m, k, v]) => ({ ...m, [k]: v }) as unknown);
    const junk = fc.oneof(fc.anything(), fc.jsonValue(), mutated);
    fc.assert(
      fc.property(junk, (body) => {
        onlyInvalidArgument(() => parseModuleData(body));
        onlyInvalidArgument(() => parseModuleData(body, ''));
        onlyInvalidArgument(() => parsePromotionRequest(body));
        onlyInvalidArgument(() => parsePromotionRequest({ module: body, coverage: 10 }));
      }),
      { numRuns: 3000, interruptAfterTimeLimit: 8000 },
    );
  });

  it('random query strings throw only FL_ERR_INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('module', 'status', 'limit', 'x', 'Status'), fc.string({ maxLength: 12 })), { maxLength: 4 }), (pairs) => {
        onlyInvalidArgument(() => parseReleaseQuery(new URLSearchParams(pairs)));
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 5000 },
    );
  });
});
