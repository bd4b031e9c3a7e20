/**
 * The values recipes write into code, with their defaults. faultline.yaml's `refactor:` section fills them
 * (the config loader calls `resolveRecipeOptions`); every recipe documents which ones it reads.
 */
import { FaultlineError } from '../core/errors.js';

export interface RecipeOptions {
  /** add-timeout: the deadline put on an outbound call, ms */
  timeoutMs: number;
  /** add-retry: attempts after the first one */
  retries: number;
  /** add-retry: backoff before retry n is a random delay in [0, min(retryMaxMs, retryBaseMs·2ⁿ)] ms (full jitter) */
  retryBaseMs: number;
  retryMaxMs: number;
  /** add-retry: HTTP methods the recipe treats as idempotent (RFC 9110 §9.2.2); others are refused */
  retryMethods: readonly string[];
  /** add-circuit-breaker: consecutive failures that open the circuit */
  breakerFailureThreshold: number;
  /** add-circuit-breaker: how long an open circuit fails fast before it lets one trial call through, ms */
  breakerResetMs: number;
  /** bound-collection: entries kept before the least recently used one is evicted */
  cacheMaxEntries: number;
  /** extract-function: the name of the new function (made unique in the file) */
  extractName: string;
  /** extract-function: put the new function at module level, or in the innermost scope TypeScript offers */
  extractScope: 'module' | 'innermost';
}

export const DEFAULT_RECIPE_OPTIONS: Readonly<RecipeOptions> = Object.freeze({
  timeoutMs: 5000,
  retries: 3,
  retryBaseMs: 100,
  retryMaxMs: 2000,
  retryMethods: Object.freeze(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']),
  breakerFailureThreshold: 5,
  breakerResetMs: 30_000,
  cacheMaxEntries: 1000,
  extractName: 'extracted',
  extractScope: 'module',
});

const INTEGERS: Record<string, { min: number; max: number }> = {
  timeoutMs: { min: 1, max: 2_147_483_647 },
  retries: { min: 1, max: 100 },
  retryBaseMs: { min: 0, max: 3_600_000 },
  retryMaxMs: { min: 0, max: 3_600_000 },
  breakerFailureThreshold: { min: 1, max: 1_000_000 },
  breakerResetMs: { min: 1, max: 2_147_483_647 },
  cacheMaxEntries: { min: 1, max: 2 ** 24 },
};
const METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE', 'POST', 'PATCH']);

/**
 * The defaults overlaid with `given` (e.g. faultline.yaml's `refactor:` section); throws FL_ERR_RECIPE_OPTIONS
 * listing every invalid or unknown field.
 */
export function resolveRecipeOptions(given: Partial<RecipeOptions> | Record<string, unknown> = {}): RecipeOptions {
  const problems: string[] = [];
  const out: Record<string, unknown> = { ...DEFAULT_RECIPE_OPTIONS };
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_RECIPE_OPTIONS)) {
      problems.push(`unknown option ${key} (known: ${Object.keys(DEFAULT_RECIPE_OPTIONS).join(', ')})`);
      continue;
    }
    const range = INTEGERS[key];
    if (range !== undefined) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) problems.push(`${key} must be an integer in [${range.min}, ${range.max}], got ${JSON.stringify(value)}`);
      else out[key] = value;
    } else if (key === 'retryMethods') {
      if (!Array.isArray(value) || value.length === 0 || !value.every((m) => typeof m === 'string' && METHODS.has(m.toUpperCase()))) {
        problems.push(`retryMethods must be a non-empty list of HTTP methods (${[...METHODS].join(', ')}), got ${JSON.stringify(value)}`);
      } else out[key] = Object.freeze(value.map((m: string) => m.toUpperCase()));
    } else if (key === 'extractName') {
      if (typeof value !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(value)) problems.push(`extractName must be an identifier, got ${JSON.stringify(value)}`);
      else out[key] = value;
    } else if (key === 'extractScope') {
      if (value !== 'module' && value !== 'innermost') problems.push(`extractScope must be "module" or "innermost", got ${JSON.stringify(value)}`);
      else out[key] = value;
    }
  }
  if (typeof out.retryBaseMs === 'number' && typeof out.retryMaxMs === 'number' && out.retryMaxMs < out.retryBaseMs) problems.push(`retryMaxMs (${out.retryMaxMs}) must be at least retryBaseMs (${out.retryBaseMs})`);
  if (problems.length > 0) throw new FaultlineError('FL_ERR_RECIPE_OPTIONS', `invalid recipe options: ${problems.join('; ')}`, { context: { problems } });
  return Object.freeze(out) as unknown as RecipeOptions;
}
